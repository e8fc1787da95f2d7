/**
 * Where a person hands over a scan: drag and drop of a folder (or a .zip), a folder picker, and a
 * zip picker. Turns whatever arrives into a ScanInput; knows nothing of formats.
 */
import type { ScanInput } from '../scan/load-scan-in-worker.ts';

export interface DropZoneOptions {
  onInput: (input: ScanInput) => void;
  onBackgroundChange: (rgb: [number, number, number]) => void;
  background: [number, number, number];
}

function isZip(name: string): boolean {
  return /\.zip$/i.test(name);
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries hands out directory contents in batches until it returns an empty one.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

/** Every file under the dropped entries, with its path relative to the drop. */
export async function filesFromEntries(entries: FileSystemEntry[]): Promise<{ path: string; blob: Blob }[]> {
  const out: { path: string; blob: Blob }[] = [];
  const visit = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path, blob: file });
    } else if (entry.isDirectory) {
      for (const child of await readAllEntries((entry as FileSystemDirectoryEntry).createReader())) await visit(child, path);
    }
  };
  for (const entry of entries) await visit(entry, '');
  return out;
}

function toHex(rgb: [number, number, number]): string {
  return `#${rgb
    .map((c) =>
      Math.round(c * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

export function createDropZone(options: DropZoneOptions): HTMLElement {
  const zone = document.createElement('section');
  zone.className = 'drop-zone';
  zone.dataset.testid = 'dropzone';
  const hint = document.createElement('p');
  hint.textContent = 'Drop a scan folder or a .zip of one here';
  const formats = document.createElement('p');
  formats.className = 'hint';
  formats.textContent =
    'nerfstudio / instant-ngp transforms.json, Replica (Semantic-NeRF or NICE-SLAM layout), ScanNet export, 7-Scenes / 3DMatch';

  const folderInput = document.createElement('input');
  folderInput.type = 'file';
  folderInput.webkitdirectory = true;
  folderInput.multiple = true;
  folderInput.hidden = true;
  folderInput.dataset.testid = 'folder-picker';
  const zipInput = document.createElement('input');
  zipInput.type = 'file';
  zipInput.accept = '.zip,application/zip';
  zipInput.hidden = true;
  zipInput.dataset.testid = 'zip-picker';

  const folderButton = document.createElement('button');
  folderButton.textContent = 'Choose folder…';
  folderButton.onclick = () => folderInput.click();
  const zipButton = document.createElement('button');
  zipButton.textContent = 'Open .zip…';
  zipButton.onclick = () => zipInput.click();

  const backgroundLabel = document.createElement('label');
  backgroundLabel.textContent = 'Background for transparent images ';
  const backgroundInput = document.createElement('input');
  backgroundInput.type = 'color';
  backgroundInput.value = toHex(options.background);
  backgroundInput.dataset.testid = 'background-colour';
  backgroundInput.oninput = () => {
    const v = backgroundInput.value;
    options.onBackgroundChange([1, 3, 5].map((i) => parseInt(v.slice(i, i + 2), 16) / 255) as [number, number, number]);
  };
  backgroundLabel.append(backgroundInput);

  folderInput.onchange = () => {
    const files = [...(folderInput.files ?? [])];
    folderInput.value = '';
    if (!files.length) return;
    const name = files[0]!.webkitRelativePath.split('/')[0] || 'folder';
    options.onInput({ kind: 'files', name, entries: files.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f })) });
  };
  zipInput.onchange = () => {
    const file = zipInput.files?.[0];
    zipInput.value = '';
    if (file) options.onInput({ kind: 'zip', name: file.name, blob: file });
  };

  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const items = [...(e.dataTransfer?.items ?? [])].filter((i) => i.kind === 'file');
    const entries = items.map((i) => i.webkitGetAsEntry()).filter((x): x is FileSystemEntry => x !== null);
    const single = entries.length === 1 ? entries[0]! : null;
    if (single?.isFile && isZip(single.name)) {
      const file = items[0]!.getAsFile();
      if (file) options.onInput({ kind: 'zip', name: file.name, blob: file });
      return;
    }
    const name = single?.isDirectory ? single.name : 'dropped files';
    void filesFromEntries(entries).then((files) => options.onInput({ kind: 'files', name, entries: files }));
  });

  const buttons = document.createElement('div');
  buttons.className = 'buttons';
  buttons.append(folderButton, zipButton, backgroundLabel);
  zone.append(hint, formats, buttons, folderInput, zipInput);
  return zone;
}
