"""A tiny ONNX model with SegFormer-B0's exported signature, for testing the ADE20K model-list
entry's manifest and the paths it exercises (symbolic dimensions, logits at a quarter of the input
resolution, 150 classes) without the 15 MB file, which cannot be downloaded on a machine without
internet. It is not SegFormer: its logits are a fixed linear function of the 4x4-average colour,
chosen so that red pixels read as ADE20K 'wall' (0), green as 'chair' (19), blue as 'television
receiver' (89), which a test can check through the whole pipeline.

    /usr/bin/python3 tools/segmenter/make-segformer-stand-in.py tests/fixtures/segformer-b0-signature.onnx

Needs Debian's python3-onnx and python3-numpy only (no torch).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CLASSES = 150
WINNERS = {0: 0, 19: 1, 89: 2}  # class -> the input channel (R, G, B) that makes it win


def build() -> onnx.ModelProto:
    weight = np.zeros((CLASSES, 3, 1, 1), np.float32)
    bias = np.full((CLASSES,), -1.0, np.float32)
    for cls, channel in WINNERS.items():
        weight[cls, :, 0, 0] = -2.0
        weight[cls, channel, 0, 0] = 4.0
        bias[cls] = 0.0
    # The dimension names optimum gives SegFormer's export.
    pixel_values = helper.make_tensor_value_info(
        'pixel_values', TensorProto.FLOAT, ['batch_size', 'num_channels', 'height', 'width'])
    logits = helper.make_tensor_value_info(
        'logits', TensorProto.FLOAT, ['batch_size', 'num_labels', 'logits_height', 'logits_width'])
    graph = helper.make_graph(
        [
            helper.make_node('AveragePool', ['pixel_values'], ['pooled'], kernel_shape=[4, 4], strides=[4, 4]),
            helper.make_node('Conv', ['pooled', 'weight', 'bias'], ['logits']),
        ],
        'segformer_b0_signature',
        [pixel_values],
        [logits],
        [numpy_helper.from_array(weight, 'weight'), numpy_helper.from_array(bias, 'bias')],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='neurncd-web')
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: make-segformer-stand-in.py OUT.onnx')
    onnx.save(build(), sys.argv[1])
