/**
 * The segmenters the app offers. Downloaded models are fetched only when the user picks one, from
 * the URL below, and are checked against the size and SHA-256 their manifest states before they
 * load (then kept in Cache Storage, see model-store.ts). The project's own model ships with the
 * page.
 */
import { PROJECT_GENERATOR } from '../scan/scan.ts';
import type { ExecutionProvider } from './execution-provider.ts';
import type { LoadProgress, ModelEntry, Segmenter, SegmenterInfo } from './segmenter.ts';

export interface CatalogEntry {
  id: string;
  title: string;
  /** Shown under the list: what the model knows, its licence and where it comes from. */
  description: string;
  /** Ships with the page (no download) or is downloaded on demand. */
  source: { kind: 'bundled'; modelPath: string; manifestPath: string } | { kind: 'download'; entry: ModelEntry };
}

/** PASCAL VOC's 21 classes in the order of DeepLabV3's logits (channel 0 the catch-all background). */
export const PASCAL_VOC_CLASSES: readonly string[] = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
];

/** ADE20K's 150 SceneParsing classes in the order of the model's logits (SegFormer's id2label). */
const ADE20K_CLASSES = [
  'wall',
  'building',
  'sky',
  'floor',
  'tree',
  'ceiling',
  'road',
  'bed',
  'windowpane',
  'grass',
  'cabinet',
  'sidewalk',
  'person',
  'earth',
  'door',
  'table',
  'mountain',
  'plant',
  'curtain',
  'chair',
  'car',
  'water',
  'painting',
  'sofa',
  'shelf',
  'house',
  'sea',
  'mirror',
  'rug',
  'field',
  'armchair',
  'seat',
  'fence',
  'desk',
  'rock',
  'wardrobe',
  'lamp',
  'bathtub',
  'railing',
  'cushion',
  'base',
  'box',
  'column',
  'signboard',
  'chest of drawers',
  'counter',
  'sand',
  'sink',
  'skyscraper',
  'fireplace',
  'refrigerator',
  'grandstand',
  'path',
  'stairs',
  'runway',
  'case',
  'pool table',
  'pillow',
  'screen door',
  'stairway',
  'river',
  'bridge',
  'bookcase',
  'blind',
  'coffee table',
  'toilet',
  'flower',
  'book',
  'hill',
  'bench',
  'countertop',
  'stove',
  'palm',
  'kitchen island',
  'computer',
  'swivel chair',
  'boat',
  'bar',
  'arcade machine',
  'hovel',
  'bus',
  'towel',
  'light',
  'truck',
  'tower',
  'chandelier',
  'awning',
  'streetlight',
  'booth',
  'television receiver',
  'airplane',
  'dirt track',
  'apparel',
  'pole',
  'land',
  'bannister',
  'escalator',
  'ottoman',
  'bottle',
  'buffet',
  'poster',
  'stage',
  'van',
  'ship',
  'fountain',
  'conveyer belt',
  'canopy',
  'washer',
  'plaything',
  'swimming pool',
  'stool',
  'barrel',
  'basket',
  'waterfall',
  'tent',
  'bag',
  'minibike',
  'cradle',
  'oven',
  'ball',
  'food',
  'step',
  'tank',
  'trade name',
  'microwave',
  'pot',
  'animal',
  'bicycle',
  'lake',
  'dishwasher',
  'screen',
  'blanket',
  'sculpture',
  'hood',
  'sconce',
  'vase',
  'traffic light',
  'tray',
  'ashcan',
  'fan',
  'pier',
  'crt screen',
  'plate',
  'monitor',
  'bulletin board',
  'shower',
  'radiator',
  'glass',
  'clock',
  'flag',
];

/** DeepLabV3's manifest, from the facts its publisher gives (tests reuse it for the same file). */
export const DEEPLAB_V3_PASCAL_MANIFEST = {
  name: 'DeepLabV3 MobileNetV2 (PASCAL VOC)',
  file: 'deeplab_v3_1_default_1.onnx',
  inputName: 'sub_7',
  layout: 'NHWC',
  inputSize: { width: 257, height: 257 },
  normalization: { scale: 1 / 127.5, offset: -1 },
  logitsOutput: 'ResizeBilinear_3',
  featureOutput: null,
  classes: PASCAL_VOC_CLASSES.map((name) => ({ name })),
  knownClasses: PASCAL_VOC_CLASSES.slice(1),
  catchAll: 'background',
  license: 'Apache-2.0',
  sourceUrl: 'https://github.com/Kazuhito00/Image-Processing-Node-Editor',
  sha256: '48a46b346ca7e2e96760b8a10a302046a3b5a9ce55e59d4c659c36d9cbd44118',
  sizeBytes: 2781296,
};

export const DEEPLAB_V3_PASCAL: CatalogEntry = {
  id: 'deeplabv3-mnv2-pascal',
  title: 'DeepLabV3 MobileNetV2, PASCAL VOC (21 classes, 2.8 MB)',
  description:
    'TF Hub lite-model/deeplabv3/1/default/1 converted to ONNX with tf2onnx, as published in Kazuhito00/Image-Processing-Node-Editor. Apache-2.0. Indoor classes it knows: chair, sofa, dining table, TV monitor, bottle, potted plant, person.',
  source: {
    kind: 'download',
    entry: {
      url: 'https://raw.githubusercontent.com/Kazuhito00/Image-Processing-Node-Editor/75f75b654ba4f5900db1e520d8381556cf60c410/ipn_editor/node/deep_learning_node/semantic_segmentation/deeplab_v3/model/deeplab_v3_1_default_1.onnx',
      manifest: DEEPLAB_V3_PASCAL_MANIFEST,
    },
  },
};

/**
 * SegFormer-B0 fine-tuned on ADE20K (512x512), as exported to ONNX for transformers.js by Xenova:
 * the fp32 file at a pinned revision of the repository, so its bytes cannot change under the
 * checksum. Size and SHA-256 are the ones several independent projects pin for this file (this
 * machine has no internet to fetch it). Its input and output dimensions are symbolic (batch,
 * channels, height, width / batch, labels, height/4, width/4); it was fine-tuned at 512x512, the
 * size frames are resized to. Logits come at a quarter of the input resolution and are resized
 * back like any other model's.
 */
export const SEGFORMER_B0_ADE20K_MANIFEST = {
  name: 'SegFormer-B0 (ADE20K)',
  file: 'model.onnx',
  inputName: 'pixel_values',
  layout: 'NCHW',
  inputSize: { width: 512, height: 512 },
  normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  logitsOutput: 'logits',
  featureOutput: null,
  classes: ADE20K_CLASSES.map((name) => ({ name })),
  knownClasses: ADE20K_CLASSES,
  catchAll: null,
  license: 'NVIDIA Source Code License for SegFormer (non-commercial: research and evaluation only)',
  sourceUrl: 'https://huggingface.co/Xenova/segformer-b0-finetuned-ade-512-512',
  sha256: '3e5c18a4be395f16646438d54c42377ddc202edfa33d5eced0c9506de75c44c2',
  sizeBytes: 15335446,
};

export const SEGFORMER_B0_ADE20K: CatalogEntry = {
  id: 'segformer-b0-ade20k',
  title: 'SegFormer-B0, ADE20K (150 classes, 15.3 MB)',
  description:
    'nvidia/segformer-b0-finetuned-ade-512-512 exported to ONNX (Xenova, Hugging Face). Licence: NVIDIA Source Code License for SegFormer, non-commercial use only. Indoor classes it knows include wall, floor, ceiling, bed, cabinet, door, table, chair, sofa, shelf, desk, lamp, cushion, pillow, curtain, painting, mirror, bookcase, book, television receiver, monitor, refrigerator, sink and toilet.',
  source: {
    kind: 'download',
    entry: {
      url: 'https://huggingface.co/Xenova/segformer-b0-finetuned-ade-512-512/resolve/d3e5499fa8701ff0453ca940a8dfeae39b2f1504/onnx/model.onnx',
      manifest: SEGFORMER_B0_ADE20K_MANIFEST,
    },
  },
};

export const DEFAULT_SEGMENTER: CatalogEntry = {
  id: 'neurncd-synth-seg',
  title: 'NeurNCD synthetic rooms (9 known classes, ships with the page)',
  description:
    'Trained by tools/segmenter/train.py on generated rooms, on the 9 known classes of the NeurNCD split (ceiling, picture, TV and window are never labelled). The default for the built-in demo.',
  source: { kind: 'bundled', modelPath: 'models/neurncd-synth-seg/model.onnx', manifestPath: 'models/neurncd-synth-seg/manifest.json' },
};

/**
 * DeepLabV3 MobileNetV2 trained on ADE20K (150 classes and "other"), converted by the project from
 * TF Hub's TFLite file (tools/segmenter/convert-ade20k.py; provenance and licence in its manifest
 * and NOTICE). A real indoor segmenter that ships with the page: the default for every scan the
 * project did not generate.
 */
export const ADE20K_SEGMENTER: CatalogEntry = {
  id: 'deeplabv3-mnv2-ade20k',
  title: 'DeepLabV3 MobileNetV2, ADE20K (150 classes, ships with the page)',
  description:
    'TF Hub lite-model/deeplabv3-mobilenetv2-ade20k/1/default/1 (TensorFlow DeepLab model zoo, Apache-2.0), converted to ONNX by tools/segmenter/convert-ade20k.py with int8 weights. Real photographs: wall, floor, ceiling, bed, cabinet, table, chair, sofa, windowpane, painting, lamp, book, television receiver and the rest of ADE20K. The default for real scans.',
  source: {
    kind: 'bundled',
    modelPath: 'models/deeplabv3-mnv2-ade20k/model.onnx',
    manifestPath: 'models/deeplabv3-mnv2-ade20k/manifest.json',
  },
};

export const MODEL_CATALOG: readonly CatalogEntry[] = [DEFAULT_SEGMENTER, ADE20K_SEGMENTER, DEEPLAB_V3_PASCAL, SEGFORMER_B0_ADE20K];

/** The model a scan gets unless the user picks one: the project's own for its generated rooms, the real one for anything else. */
export function defaultSegmenterFor(scan: { generator?: string | null }): CatalogEntry {
  return scan.generator === PROJECT_GENERATOR ? DEFAULT_SEGMENTER : ADE20K_SEGMENTER;
}

/**
 * Loads an entry of the list into `segmenter`: a bundled model from the page's own files, a
 * downloaded one through the browser's cache. `fromCache` is null for a bundled model.
 */
export async function loadCatalogEntry(
  segmenter: Segmenter,
  entry: CatalogEntry,
  options: { provider?: ExecutionProvider; onProgress?: LoadProgress } = {},
): Promise<SegmenterInfo & { fromCache: boolean | null }> {
  if (entry.source.kind === 'download') return segmenter.loadEntry(entry.source.entry, options);
  const base = document.baseURI;
  const info = await segmenter.loadFromUrl(
    new URL(entry.source.modelPath, base).href,
    new URL(entry.source.manifestPath, base).href,
    options,
  );
  return { ...info, fromCache: null };
}
