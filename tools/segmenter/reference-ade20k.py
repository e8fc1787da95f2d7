"""Runs the TFLite graph with the NumPy reference (tflite_reference.py) on the inputs written by
`verify-ade20k.ts inputs`, and writes its logits in the format `verify-ade20k.ts check` reads.

  /usr/bin/python3 tools/segmenter/reference-ade20k.py --tflite ../shared/models/deeplabv3-mnv2-ade20k/model.tflite \
      --inputs /tmp/ade/in513 --mode tflite --out /tmp/ade/ref513-tflite

Per photo NAME: NAME.logits.f32, the classifier's output at 1/4 resolution, channel-major
[151, h, w] (the ONNX model's `logits`); NAME.argmax-full.u8, the argmax of the graph's own
output (its last RESIZE_BILINEAR to the input size, align_corners), [H, W]. index.json holds the
shapes.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite_graph import read_tflite  # noqa: E402
from tflite_reference import run  # noqa: E402

LOGITS = 'tfl.conv_2d40'
FULL = 'ResizeBilinear_2'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tflite', required=True)
    ap.add_argument('--inputs', required=True)
    ap.add_argument('--mode', choices=['tflite', 'dequantized'], required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()

    index = json.load(open(os.path.join(args.inputs, 'index.json')))
    size = index['size']
    graph = read_tflite(args.tflite)
    os.makedirs(args.out, exist_ok=True)
    shapes = {}
    for name in index['names']:
        x = np.fromfile(os.path.join(args.inputs, f'{name}.input.f32'), np.float32).reshape(1, 3, size, size)
        t0 = time.time()
        out = run(graph, x.transpose(0, 2, 3, 1), args.mode, keep=[LOGITS])
        logits = out[LOGITS][0].transpose(2, 0, 1)  # [151, h, w]
        np.ascontiguousarray(logits).tofile(os.path.join(args.out, f'{name}.logits.f32'))
        out[FULL][0].argmax(axis=2).astype(np.uint8).tofile(os.path.join(args.out, f'{name}.argmax-full.u8'))
        shapes = {'logits': list(logits.shape), 'argmaxFull': list(out[FULL].shape[1:3])}
        print(f'{name}: {time.time() - t0:.1f} s', flush=True)
    json.dump({'source': f'reference-ade20k.py --mode {args.mode}', 'names': index['names'], **shapes}, open(os.path.join(args.out, 'index.json'), 'w'))


if __name__ == '__main__':
    main()
