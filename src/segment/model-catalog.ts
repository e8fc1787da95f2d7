/**
 * The segmenters the app offers. Downloaded models are fetched only when the user picks one, from
 * the URL below, and are checked against the size and SHA-256 their manifest states before they
 * load (then kept in Cache Storage, see model-store.ts). The project's own model ships with the
 * page.
 */
import type { ModelEntry } from './segmenter.ts';

export interface CatalogEntry {
  id: string;
  title: string;
  /** Shown under the list: what the model knows, its licence and where it comes from. */
  description: string;
  /** Ships with the page (no download) or is downloaded on demand. */
  source: { kind: 'bundled'; modelPath: string; manifestPath: string } | { kind: 'download'; entry: ModelEntry };
}

const PASCAL_VOC_CLASSES = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
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
  knownClasses: PASCAL_VOC_CLASSES,
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

export const DEFAULT_SEGMENTER: CatalogEntry = {
  id: 'neurncd-synth-seg',
  title: 'NeurNCD synthetic rooms (9 known classes, ships with the page)',
  description:
    'Trained by tools/segmenter/train.py on generated rooms, on the 9 known classes of the NeurNCD split (ceiling, picture, TV and window are never labelled). The default for the built-in demo.',
  source: { kind: 'bundled', modelPath: 'models/neurncd-synth-seg/model.onnx', manifestPath: 'models/neurncd-synth-seg/manifest.json' },
};

export const MODEL_CATALOG: readonly CatalogEntry[] = [DEFAULT_SEGMENTER, DEEPLAB_V3_PASCAL];
