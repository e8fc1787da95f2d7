// Mesa's lavapipe, the second Vulkan driver the kernel tests run on (the first is SwiftShader).
// Dawn needs a lavapipe that has shaderSampledImageArrayDynamicIndexing and
// shaderStorageImageArrayDynamicIndexing: Debian 12's Mesa 22.3 has neither (Dawn then finds no
// adapter, "Vulkan shaderUniform*ArrayDynamicIndexing required"), Mesa 25.0 has both. When the
// system's Mesa is older, the driver is taken from the release's backports suite into a cache of
// our own, without touching the system's apt sources or packages.
// Plain JavaScript with no dependencies: tools/setup.mjs runs it before node_modules exists.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const CACHE_DIR = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'neurncd-web', 'lavapipe');

/** The Vulkan ICD file that points the loader at lavapipe; the tests set VK_ICD_FILENAMES to it. */
export const LAVAPIPE_ICD = join(CACHE_DIR, 'lvp_icd.json');

/**
 * A kernel test's time limit on lavapipe. lavapipe compiles each pipeline with LLVM at its first
 * use: about 8 s for each MLP kernel, minutes for whichever test first meets them with an empty
 * Mesa shader cache (CI's), and any test may be that one.
 */
export const LAVAPIPE_TEST_TIMEOUT_MS = 900_000;

/** The oldest Mesa we have seen Dawn accept (22.3 it refuses; 25.0 it takes). */
const MIN_MESA_MAJOR = 25;

const SYSTEM_ICD_DIR = '/usr/share/vulkan/icd.d';
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The system's own lavapipe ICD (package mesa-vulkan-drivers), or undefined. */
export function systemLavapipeIcd() {
  if (!existsSync(SYSTEM_ICD_DIR)) return undefined;
  const name = readdirSync(SYSTEM_ICD_DIR).find((f) => /^lvp_icd(\..*)?\.json$/.test(f));
  return name && join(SYSTEM_ICD_DIR, name);
}

function installedMesaVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** True when the ICD file exists and its library too (a bare name is left to the dynamic linker). */
function icdUsable(icdFile) {
  if (!existsSync(icdFile)) return false;
  const library = JSON.parse(readFileSync(icdFile, 'utf8')).ICD.library_path;
  return !isAbsolute(library) || existsSync(library);
}

function writeIcd(libraryPath, apiVersion) {
  mkdirSync(CACHE_DIR, { recursive: true });
  const icd = { file_format_version: '1.0.0', ICD: { library_path: libraryPath, api_version: apiVersion } };
  writeFileSync(LAVAPIPE_ICD, `${JSON.stringify(icd, null, 2)}\n`);
}

/** The release's codename and the Debian mirror and keyring its own apt sources use. */
function debianSource() {
  const release = readFileSync('/etc/os-release', 'utf8');
  const codename = /^VERSION_CODENAME=(.+)$/m.exec(release)?.[1]?.replace(/"/g, '');
  if (!codename) throw new Error('/etc/os-release names no VERSION_CODENAME');
  const stanzas = [];
  const partsDir = '/etc/apt/sources.list.d';
  for (const f of existsSync(partsDir) ? readdirSync(partsDir) : []) {
    if (f.endsWith('.sources')) stanzas.push(...readFileSync(join(partsDir, f), 'utf8').split(/\n\s*\n/));
  }
  for (const stanza of stanzas) {
    const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim();
    if ((field('Suites') ?? '').split(/\s+/).includes(codename) && (field('Components') ?? '').split(/\s+/).includes('main')) {
      return { codename, uri: field('URIs').split(/\s+/)[0], keyring: field('Signed-By') ?? DEBIAN_KEYRING };
    }
  }
  const list = existsSync('/etc/apt/sources.list') ? readFileSync('/etc/apt/sources.list', 'utf8') : '';
  const line = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${codename}\\s.*\\bmain\\b`, 'm').exec(list);
  if (line) return { codename, uri: line[1], keyring: DEBIAN_KEYRING };
  throw new Error(`no apt source for ${codename} main in /etc/apt/sources.list(.d)`);
}

/** Downloads mesa-vulkan-drivers from <codename>-backports with an apt state of its own and unpacks it. */
function fetchBackportedLavapipe(log) {
  const { codename, uri, keyring } = debianSource();
  const suite = `${codename}-backports`;
  const aptDir = join(CACHE_DIR, 'apt');
  rmSync(aptDir, { recursive: true, force: true });
  for (const d of ['lists/partial', 'cache/archives/partial', 'sources.list.d']) mkdirSync(join(aptDir, d), { recursive: true });
  writeFileSync(join(aptDir, 'sources.list'), `deb [signed-by=${keyring}] ${uri} ${suite} main\n`);
  const apt = [
    ...['-o', `Dir::Etc::SourceList=${join(aptDir, 'sources.list')}`],
    ...['-o', `Dir::Etc::SourceParts=${join(aptDir, 'sources.list.d')}`],
    ...['-o', `Dir::State::Lists=${join(aptDir, 'lists')}`],
    ...['-o', `Dir::Cache=${join(aptDir, 'cache')}`],
    // The private directories belong to whoever runs this; as root, apt's download user (_apt)
    // could not write there.
    ...(process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : []),
  ];
  const run = (args) => {
    log(`apt-get ${args.join(' ')} (private apt state in ${aptDir})`);
    execFileSync('apt-get', [...apt, ...args], { cwd: aptDir, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  run(['update', '-qq']);
  run(['download', '-qq', `mesa-vulkan-drivers/${suite}`]);
  const deb = readdirSync(aptDir).find((f) => f.startsWith('mesa-vulkan-drivers_') && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download left no mesa-vulkan-drivers .deb in ${aptDir}`);
  const version = deb.split('_')[1];
  const unpacked = join(aptDir, 'unpacked');
  execFileSync('dpkg-deb', ['-x', join(aptDir, deb), unpacked]);
  const libDirs = readdirSync(join(unpacked, 'usr', 'lib')).map((d) => join(unpacked, 'usr', 'lib', d));
  const unpackedLibrary = libDirs.map((d) => join(d, 'libvulkan_lvp.so')).find((f) => existsSync(f));
  if (!unpackedLibrary) throw new Error(`no libvulkan_lvp.so in ${deb}`);
  const icdDir = join(unpacked, 'usr', 'share', 'vulkan', 'icd.d');
  const icdName = readdirSync(icdDir).find((f) => f.startsWith('lvp_icd'));
  // Only lavapipe is kept: the package's other drivers (radv, anv, ...) are most of its 60 MB.
  const library = join(CACHE_DIR, `libvulkan_lvp-${version}.so`);
  copyFileSync(unpackedLibrary, library);
  const apiVersion = JSON.parse(readFileSync(join(icdDir, icdName), 'utf8')).ICD.api_version;
  rmSync(aptDir, { recursive: true, force: true });
  return { library, apiVersion, version };
}

/**
 * Makes LAVAPIPE_ICD point at a lavapipe that Dawn accepts: the system's when its Mesa is new
 * enough, else one fetched from backports. Expects the system's mesa-vulkan-drivers installed (it
 * brings the libraries the driver links: LLVM, xcb, wayland). Returns what it did, or undefined
 * when it was ready already.
 */
export function prepareLavapipe(log = console.log) {
  if (icdUsable(LAVAPIPE_ICD)) return undefined;
  const system = systemLavapipeIcd();
  const installed = installedMesaVersion();
  if (system && Number.parseInt(installed, 10) >= MIN_MESA_MAJOR) {
    const { library_path, api_version } = JSON.parse(readFileSync(system, 'utf8')).ICD;
    writeIcd(library_path, api_version);
    return `lavapipe: the system's Mesa ${installed}`;
  }
  const fetched = fetchBackportedLavapipe(log);
  writeIcd(fetched.library, fetched.apiVersion);
  return `lavapipe: Mesa ${fetched.version} from backports (the system's ${installed || 'none'} is older than ${MIN_MESA_MAJOR})`;
}
