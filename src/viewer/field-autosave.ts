/**
 * The field kept across reloads: each copy the pipeline reads back to memory (every half minute of
 * training and after each discovery update) is written to the origin's private file system (OPFS)
 * with what it was trained on. A page cannot reopen a dropped folder by itself, so after a reload
 * the user is asked to drop the same scan again, and its run goes on from the saved field. One
 * autosave at a time: the last scan the user gave (the built-in demo is never saved over it).
 */
import type { Scan } from '../scan/scan.ts';

/** What tells one scan from another without its pixels: enough to refuse a different scan of the same name. */
export interface ScanIdentity {
  name: string;
  format: string;
  frames: number;
  width: number;
  height: number;
  firstFrame: string;
  lastFrame: string;
}

export interface AutosaveRecord {
  scan: ScanIdentity;
  steps: number;
  /** The segmenter's class names: the field's embedding channels. */
  classes: string[];
  /** ISO time of the save. */
  savedAt: string;
}

export function scanIdentity(scan: Scan): ScanIdentity {
  return {
    name: scan.sourceName,
    format: scan.format,
    frames: scan.frames.length,
    width: scan.imageSize.width,
    height: scan.imageSize.height,
    firstFrame: scan.frames[0]!.name,
    lastFrame: scan.frames[scan.frames.length - 1]!.name,
  };
}

export function sameScan(a: ScanIdentity, b: ScanIdentity): boolean {
  return (Object.keys(a) as (keyof ScanIdentity)[]).every((k) => a[k] === b[k]);
}

const FOLDER = 'autosave';
const FIELD_FILE = 'field.ncdckpt';
const RECORD_FILE = 'field.json';

export class FieldAutosave {
  private folder(): Promise<FileSystemDirectoryHandle> {
    if (!navigator.storage?.getDirectory) throw new Error('this browser has no origin private file system');
    return navigator.storage.getDirectory().then((root) => root.getDirectoryHandle(FOLDER, { create: true }));
  }

  /** The saved field and its record, or null when there is none (or it cannot be read whole). */
  async read(): Promise<{ record: AutosaveRecord; bytes: Uint8Array } | null> {
    try {
      const folder = await this.folder();
      const record = JSON.parse(await (await (await folder.getFileHandle(RECORD_FILE)).getFile()).text()) as AutosaveRecord;
      const bytes = new Uint8Array(await (await (await folder.getFileHandle(FIELD_FILE)).getFile()).arrayBuffer());
      return { record, bytes };
    } catch {
      return null;
    }
  }

  /** Replaces the autosave. The record goes last and goes first on clear(): a record always has its whole field. */
  async write(record: AutosaveRecord, bytes: Uint8Array): Promise<void> {
    const folder = await this.folder();
    await folder.removeEntry(RECORD_FILE).catch(() => {});
    await writeFile(folder, FIELD_FILE, bytes);
    await writeFile(folder, RECORD_FILE, new TextEncoder().encode(JSON.stringify(record)));
  }
}

async function writeFile(folder: FileSystemDirectoryHandle, name: string, bytes: Uint8Array): Promise<void> {
  const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
  await writable.write(bytes as Uint8Array<ArrayBuffer>);
  await writable.close();
}
