"""Converts DeepLabV3 MobileNetV2 ADE20K (TFLite, int8 weights) to the ONNX model the page ships,
with its manifest and NOTICE.

  /usr/bin/python3 tools/segmenter/convert-ade20k.py \
      --tflite ../shared/models/deeplabv3-mnv2-ade20k/model.tflite \
      --out public/models/deeplabv3-mnv2-ade20k [--weights int8|int8-dq|float16|float32] [--input-size dynamic|513]

Class names: channel 0 is 'other', channels 1..150 ADE20K's SceneParsing classes, with the full
names the page already lists for ADE20K (src/segment/model-catalog.ts); the model's own
labels.txt holds only each name's first word (and 'screen' twice), and is checked against them.
"""
import argparse
import hashlib
import json
import os
import re
import sys

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite_graph import read_tflite  # noqa: E402
from tflite_to_onnx import convert  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

SOURCE = {
    'repository': 'https://github.com/ucalyptus/SIH-Stargazers',
    'commit': '34dc5cb5d4ef1c0a3ae6c8c0f3093676fa26c91f',
    'path': 'models/segmentation/lite-model_deeplabv3-mobilenetv2-ade20k_1_default_1.tflite',
    'tfliteSha256': '9476784566f88bf0bdc3169f0012fb7d08857b325811d8c1aaf5ada1c0d4e4f9',
    'tfliteSizeBytes': 2415896,
    'tfhub': 'lite-model/deeplabv3-mobilenetv2-ade20k/1/default/1',
    'checkpoint': 'deeplabv3_mnv2_ade20k_train_2018_12_03 (TensorFlow DeepLab model zoo, tensorflow/models)',
}
SOURCE_URL = f"{SOURCE['repository']}/blob/{SOURCE['commit']}/{SOURCE['path']}"

NOTICE = """DeepLabV3 MobileNetV2, ADE20K (150 classes + "other"), converted to ONNX

model.onnx in this folder is a format conversion of a TensorFlow Lite model. Its weights are
the TFLite file's, unchanged:
  {weights_note}.

Weights: TensorFlow DeepLab model zoo checkpoint deeplabv3_mnv2_ade20k_train_2018_12_03,
  from TensorFlow Models (https://github.com/tensorflow/models, research/deeplab),
  Copyright The TensorFlow Authors, licensed under the Apache License, Version 2.0
  (http://www.apache.org/licenses/LICENSE-2.0).

Converted file: TF Hub "lite-model/deeplabv3-mobilenetv2-ade20k/1/default/1", as published in
  {repository}, commit {commit},
  path {path}
  sha256 {sha256}, {size} bytes.
  That repository has no licence file of its own; the weights' licence is TensorFlow Models'
  Apache-2.0.

Conversion: tools/segmenter/convert-ade20k.py of NeurNCD-web (Apache-2.0). Format changes only:
  NCHW layout, the atrous SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND pairs written as dilated
  convolutions, logits and the decoder's features output at 1/4 of the input size (the final
  upsampling is left to the page). Checks against the TFLite graph: tools/segmenter/README.md.

Class names: ADE20K SceneParsing (MIT CSAIL); channel 0 is "other".
"""


def ade20k_names():
    text = open(os.path.join(REPO, 'src', 'segment', 'model-catalog.ts'), encoding='utf-8').read()
    block = re.search(r'const ADE20K_CLASSES = \[(.*?)\];', text, re.S)
    if not block:
        raise SystemExit('src/segment/model-catalog.ts: ADE20K_CLASSES not found')
    return re.findall(r"'([^']*)'", block.group(1))


def check_labels(names, labels_path):
    labels = [line.rstrip('\n').split('\t') for line in open(labels_path, encoding='utf-8') if line.strip()]
    if len(labels) != len(names):
        raise SystemExit(f'{labels_path}: {len(labels)} labels, the page lists {len(names)} ADE20K classes')
    for i, (ident, label) in enumerate(labels):
        if int(ident) != i + 1 or names[i].split(' ')[0] != label:
            raise SystemExit(f'{labels_path}: line {i + 1} ({ident} {label}) does not match ADE20K class {i + 1} ({names[i]})')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tflite', required=True)
    ap.add_argument('--labels', help='labels.txt beside the model (default: beside --tflite)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--weights', default='int8', choices=['int8', 'int8-dq', 'float16', 'float32'])
    ap.add_argument('--input-size', default='dynamic', help="'dynamic' (frames fed at their own size) or N (N x N)")
    args = ap.parse_args()

    raw = open(args.tflite, 'rb').read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE['tfliteSha256']:
        print(f'warning: {args.tflite} has sha256 {digest}, not the file this converter was checked on', file=sys.stderr)

    names = ade20k_names()
    check_labels(names, args.labels or os.path.join(os.path.dirname(args.tflite), 'labels.txt'))

    graph = read_tflite(args.tflite)
    model = convert(graph, weights=args.weights)
    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, 'model.onnx')
    onnx.save(model, model_path)
    data = open(model_path, 'rb').read()

    classes = [{'name': 'other', 'id': 0}] + [{'name': n, 'id': i + 1} for i, n in enumerate(names)]
    size = 'dynamic' if args.input_size == 'dynamic' else {'width': int(args.input_size), 'height': int(args.input_size)}
    manifest = {
        'name': 'deeplabv3-mnv2-ade20k',
        'file': 'model.onnx',
        'inputName': 'input',
        'layout': 'NCHW',
        'inputSize': size,
        # x / 127.5 - 1 on 0..255, as the TFLite model's input `sub_7` expects.
        'normalization': {'scale': 1 / 127.5, 'offset': -1},
        'logitsOutput': 'logits',
        'featureOutput': 'features',
        'classes': classes,
        'knownClasses': [c['name'] for c in classes],
        'license': 'Apache-2.0',
        'sourceUrl': SOURCE_URL,
        'sha256': hashlib.sha256(data).hexdigest(),
        'sizeBytes': len(data),
        'provenance': {
            **SOURCE,
            'weightsLicense': 'Apache-2.0 (TensorFlow Models)',
            'conversion': f'tools/segmenter/convert-ade20k.py --weights {args.weights} --input-size {args.input_size}',
            'outputs': 'logits and features at 1/4 of the input size (stride 4); the page resizes the logits to the frame',
            'notice': 'NOTICE',
        },
    }
    with open(os.path.join(args.out, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    weights_note = {
        'int8': 'the int8 filters are stored int8 with their per-tensor scales and dequantised in the graph',
        'int8-dq': 'the int8 filters are stored int8 with their per-tensor scales and dequantised in the graph',
        'float16': 'dequantised, then stored as float16',
        'float32': 'dequantised to float32',
    }[args.weights]
    with open(os.path.join(args.out, 'NOTICE'), 'w', encoding='utf-8') as f:
        f.write(
            NOTICE.format(
                weights_note=weights_note,
                repository=SOURCE['repository'],
                commit=SOURCE['commit'],
                path=SOURCE['path'],
                sha256=SOURCE['tfliteSha256'],
                size=SOURCE['tfliteSizeBytes'],
            )
        )
    print(json.dumps({'model': model_path, 'sizeBytes': len(data), 'sha256': manifest['sha256'], 'weights': args.weights, 'nodes': len(model.graph.node)}))


if __name__ == '__main__':
    main()
