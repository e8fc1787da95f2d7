"""A TFLite DeepLab graph (tflite_graph.py) as an ONNX model for onnxruntime-web.

- Layout: NCHW inside and out (input `input` [1, 3, height, width], float32, normalised as the
  TFLite model expects, x / 127.5 - 1). Height and width are symbolic: every SAME padding is
  written so that it is TensorFlow's at any size (stride 1: symmetric pads; stride 2:
  auto_pad SAME_UPPER, the extra row and column at the end as TF puts them), and every resize
  takes its size from a tensor of the graph instead of the file's constants.
- Atrous convolutions: TFLite stores them as SPACE_TO_BATCH_ND -> DEPTHWISE_CONV_2D (VALID) ->
  BATCH_TO_SPACE_ND; they become one dilated depthwise Conv whose pads are the ones the
  space-to-batch paddings and the crops amount to (checked to be TF's SAME, so the rewrite holds
  at any size).
- Weights: 'int8' keeps every int8 filter of the file as an int8 initializer, times its scale
  in the graph (the very values TFLite dequantises, so the float graph is the same; 'int8-dq'
  writes the same with DequantizeLinear, which onnxruntime does not fold, see filter_weight);
  'float16' stores every float weight as float16 behind a Cast; 'float32' stores them as they
  dequantise.
- Outputs: `logits` are the classifier's output at the decoder's resolution (1/4 of the input:
  the file's last two RESIZE_BILINEARs, 1/4 -> 1/4 and 1/4 -> full size, are left to the
  page, which resizes the logits to the frame anyway); `features` is the classifier's input,
  the decoder's last feature map (same resolution).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tflite_graph import constant_value

OPSET = 13


class OnnxGraphBuilder:
    def __init__(self, weights):
        if weights not in ('float32', 'float16', 'int8', 'int8-dq'):
            raise ValueError(f'weights must be float32, float16, int8 or int8-dq, got {weights}')
        self.weights = weights
        self.nodes = []
        self.initializers = []
        self.names = set()

    def unique(self, base):
        name = base
        k = 1
        while name in self.names:
            name = f'{base}_{k}'
            k += 1
        self.names.add(name)
        return name

    def constant(self, base, array):
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, base, **attrs):
        out = self.unique(base)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def float_weight(self, base, array):
        """A float weight in the chosen storage (float16 behind a Cast, or float32)."""
        if self.weights == 'float16':
            stored = self.constant(base + '_f16', array.astype(np.float16))
            return self.node('Cast', [stored], base, to=TensorProto.FLOAT)
        return self.constant(base, array.astype(np.float32))

    def filter_weight(self, base, tensor, to_onnx_layout):
        """A conv filter; int8 file filters stay int8 in the 'int8' storages."""
        if tensor.scale is not None and self.weights in ('int8', 'int8-dq'):
            if len(tensor.scale) != 1 or tensor.zero_point[0] != 0:
                raise ValueError(f'{tensor.name}: only per-tensor symmetric int8 filters are supported by this converter')
            q = self.constant(base + '_q', to_onnx_layout(tensor.raw).astype(np.int8))
            s = self.constant(base + '_scale', np.array(tensor.scale[0], np.float32))
            if self.weights == 'int8-dq':
                z = self.constant(base + '_zero_point', np.array(0, np.int8))
                return self.node('DequantizeLinear', [q, s, z], base)
            # float(q) x scale is DequantizeLinear's value with a zero point of 0, but unlike
            # DequantizeLinear (kept for onnxruntime's quantised kernels) onnxruntime folds it
            # into a float initializer at load, so the convolutions get its fast float paths.
            return self.node('Mul', [self.node('Cast', [q], base + '_float', to=TensorProto.FLOAT), s], base)
        return self.float_weight(base, to_onnx_layout(constant_value(tensor)))


def _ohwi_to_oihw(w):
    return w.transpose(0, 3, 1, 2)


def _depthwise_to_oihw(w):
    # [1, kh, kw, C] -> [C, 1, kh, kw]
    return w.transpose(3, 0, 1, 2)


def _channel_vector(v):
    """A per-channel [C] constant broadcast over NCHW."""
    return v.reshape(-1, 1, 1)


def _safe(name):
    return name.replace('/', '.').replace(':', '.')


def convert(graph, weights='int8', logits='tfl.conv_2d40', features='tfl.conv_2d39'):
    t = graph.tensors
    b = OnnxGraphBuilder(weights)
    by_name = {x.name: x.index for x in t}
    producer = {}
    for op in graph.operators:
        for o in op.outputs:
            producer[o] = op
    consumers = {}
    for op in graph.operators:
        for i in op.inputs:
            consumers.setdefault(i, []).append(op)

    onnx_name = {}  # TFLite tensor index -> ONNX value name (NCHW)
    input_index = graph.inputs[0]
    onnx_name[input_index] = 'input'
    b.names.add('input')
    clip_lo = b.constant('relu6_min', np.array(0, np.float32))
    clip_hi = b.constant('relu6_max', np.array(6, np.float32))
    first, second, fourth = (b.constant(f'axis_{k}', np.array([k], np.int64)) for k in (0, 2, 4))

    def activation(x, kind, base):
        if kind == 'NONE':
            return x
        if kind == 'RELU':
            return b.node('Relu', [x], base + '.relu')
        if kind == 'RELU6':
            return b.node('Clip', [x, clip_lo, clip_hi], base + '.relu6')
        raise ValueError(f'activation {kind} is not supported')

    def value(i):
        if i in onnx_name:
            return onnx_name[i]
        arr = constant_value(t[i])
        if arr.ndim == 1:
            arr = _channel_vector(arr)
        onnx_name[i] = b.float_weight(_safe(t[i].name), arr)
        return onnx_name[i]

    def spatial(i):
        return tuple(t[i].shape[1:3])

    def nearest_of_size(op_index, size):
        """The latest activation computed before op `op_index` with this (static) H x W: the
        dynamic stand-in for a resize size the file holds as a constant."""
        for op in reversed(graph.operators[:op_index]):
            o = op.outputs[0]
            if spatial(o) == size and onnx_name.get(o) is not None:
                return onnx_name[o]
        if spatial(input_index) == size:
            return 'input'
        raise ValueError(f'no tensor of size {size} before operator {op_index}')

    skip = set()
    last = max(by_name[logits], by_name[features])
    for op in graph.operators:
        if op.index in skip:
            continue
        out = op.outputs[0]
        base = _safe(t[out].name)
        o = op.options
        ins = op.inputs
        if op.kind == 'DEQUANTIZE':
            # Folded into the filter that consumes it (filter_weight keeps the int8 values).
            onnx_name[out] = None
            continue
        if op.kind == 'CONV_2D':
            w = b.filter_weight(base + '.weight', _stored_filter(t, producer, ins[1]), _ohwi_to_oihw)
            bias = b.float_weight(base + '.bias', constant_value(t[ins[2]]))
            kh, kw = t[ins[1]].shape[1:3]
            attrs = dict(strides=[o['stride_h'], o['stride_w']], dilations=[o['dilation_h_factor'], o['dilation_w_factor']], kernel_shape=[kh, kw])
            attrs.update(_padding_attrs(o, kh, kw))
            y = b.node('Conv', [value(ins[0]), w, bias], base + '.conv', **attrs)
            onnx_name[out] = activation(y, o['fused_activation_function'], base)
        elif op.kind == 'DEPTHWISE_CONV_2D':
            x_index, dilation, pads = ins[0], (o['dilation_h_factor'], o['dilation_w_factor']), None
            final = op
            if producer.get(ins[0]) is not None and producer[ins[0]].kind == 'SPACE_TO_BATCH_ND':
                s2b = producer[ins[0]]
                (b2s,) = consumers[out]
                if b2s.kind != 'BATCH_TO_SPACE_ND' or o['padding'] != 'VALID' or o['fused_activation_function'] != 'NONE':
                    raise ValueError(f'operator {op.index}: unsupported SPACE_TO_BATCH_ND pattern')
                x_index = s2b.inputs[0]
                dilation, pads = _atrous_pads(t, s2b, b2s, t[ins[1]].shape[1:3])
                final = b2s
                skip.add(b2s.index)
            filt = t[ins[1]]
            w = b.filter_weight(_safe(t[final.outputs[0]].name) + '.weight', _stored_filter(t, producer, ins[1]), _depthwise_to_oihw)
            bias = b.float_weight(_safe(t[final.outputs[0]].name) + '.bias', constant_value(t[ins[2]]))
            kh, kw = filt.shape[1:3]
            channels = filt.shape[3]
            attrs = dict(group=channels, kernel_shape=[kh, kw], strides=[o['stride_h'], o['stride_w']], dilations=list(dilation))
            if pads is not None:
                attrs['pads'] = pads
            else:
                attrs.update(_padding_attrs(o, kh, kw))
            fbase = _safe(t[final.outputs[0]].name)
            y = b.node('Conv', [value(x_index), w, bias], fbase + '.conv', **attrs)
            onnx_name[final.outputs[0]] = activation(y, o['fused_activation_function'], fbase)
        elif op.kind in ('ADD', 'MUL'):
            y = b.node('Add' if op.kind == 'ADD' else 'Mul', [value(ins[0]), value(ins[1])], base + '.' + op.kind.lower())
            onnx_name[out] = activation(y, o['fused_activation_function'], base)
        elif op.kind == 'CONCATENATION':
            axis = {3: 1, -1: 1}[o['axis']]
            y = b.node('Concat', [value(i) for i in ins], base + '.concat', axis=axis)
            onnx_name[out] = activation(y, o['fused_activation_function'], base)
        elif op.kind == 'AVERAGE_POOL_2D':
            if o['padding'] != 'VALID' or (o['filter_height'], o['filter_width']) != spatial(ins[0]):
                raise ValueError(f'operator {op.index}: only a global AVERAGE_POOL_2D is supported')
            y = b.node('GlobalAveragePool', [value(ins[0])], base + '.pool')
            onnx_name[out] = activation(y, o['fused_activation_function'], base)
        elif op.kind == 'RESIZE_BILINEAR':
            if op.index > last:
                continue  # the upsampling of the logits to the input size, left to the page
            src = ins[0]
            size = tuple(int(v) for v in t[ins[1]].raw)
            if spatial(src) == size:
                onnx_name[out] = value(src)  # a resize to its own size, align_corners: identity
                continue
            x = value(src)
            # N, C of the input; H, W of a tensor of the graph at the target size.
            nc = b.node('Slice', [b.node('Shape', [x], base + '.shape_in'), first, second], base + '.nc')
            hw = b.node('Slice', [b.node('Shape', [nearest_of_size(op.index, size)], base + '.shape_ref'), second, fourth], base + '.hw')
            target = b.node('Concat', [nc, hw], base + '.target', axis=0)
            if spatial(src) == (1, 1):
                # From 1 x 1 every align_corners sample is the one pixel: a broadcast.
                onnx_name[out] = b.node('Expand', [x, target], base + '.expand')
                continue
            if not o['align_corners'] or o['half_pixel_centers']:
                raise ValueError(f'operator {op.index}: only align_corners resizes are supported')
            onnx_name[out] = b.node(
                'Resize', [x, '', '', target], base + '.resize', mode='linear', coordinate_transformation_mode='align_corners'
            )
        elif op.kind in ('SPACE_TO_BATCH_ND', 'BATCH_TO_SPACE_ND'):
            # Consumed with the depthwise conv between them (a SPACE_TO_BATCH_ND is only ever
            # read by one); a BATCH_TO_SPACE_ND reached here had no such conv.
            if op.kind == 'BATCH_TO_SPACE_ND' or any(c.kind != 'DEPTHWISE_CONV_2D' for c in consumers[out]):
                raise ValueError(f'operator {op.index}: {op.kind} outside the atrous pattern')
            onnx_name[out] = None
        else:
            raise ValueError(f'operator {op.index}: {op.kind} is not supported by this converter')

    logits_value = b.node('Identity', [onnx_name[by_name[logits]]], 'logits')
    features_value = b.node('Identity', [onnx_name[by_name[features]]], 'features')
    classes = t[by_name[logits]].shape[3]
    channels = t[by_name[features]].shape[3]
    g = helper.make_graph(
        b.nodes,
        'deeplabv3_mnv2_ade20k',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, 'height', 'width'])],
        [
            helper.make_tensor_value_info(logits_value, TensorProto.FLOAT, [1, classes, 'logits_height', 'logits_width']),
            helper.make_tensor_value_info(features_value, TensorProto.FLOAT, [1, channels, 'logits_height', 'logits_width']),
        ],
        b.initializers,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid('', OPSET)], producer_name='neurncd-web tools/segmenter/tflite_to_onnx.py')
    onnx.checker.check_model(model)
    return model


def _stored_filter(t, producer, i):
    """The file's tensor behind a filter input: itself, or the int8 tensor a DEQUANTIZE reads."""
    if t[i].raw is not None:
        return t[i]
    op = producer[i]
    if op.kind != 'DEQUANTIZE':
        raise ValueError(f'filter {t[i].name} is computed by {op.kind}; only constants are supported')
    return t[op.inputs[0]]


def _padding_attrs(o, kh, kw):
    if o['padding'] == 'VALID':
        return dict(pads=[0, 0, 0, 0])
    dh, dw = o.get('dilation_h_factor', 1), o.get('dilation_w_factor', 1)
    if o['stride_h'] == 1 and o['stride_w'] == 1 and kh % 2 == 1 and kw % 2 == 1:
        ph, pw = (kh - 1) * dh // 2, (kw - 1) * dw // 2
        return dict(pads=[ph, pw, ph, pw])
    # TF's SAME with a stride: total padding depends on the size, the odd one at the end.
    return dict(auto_pad='SAME_UPPER')


def _atrous_pads(t, s2b, b2s, kernel):
    """Dilation and pads of the dilated conv equal to S2B -> VALID conv -> B2S.

    Output y of the pattern reads padded rows y + crop_before + {0, r, 2r, ...}, i.e. input
    rows y - (pad_before - crop_before) + r x tap: a dilated conv with pad_before - crop_before
    in front. The trailing padding and crop only make the size divisible by the rate.
    """
    block = [int(v) for v in t[s2b.inputs[1]].raw]
    paddings = t[s2b.inputs[2]].raw
    crops = t[b2s.inputs[2]].raw
    if [int(v) for v in t[b2s.inputs[1]].raw] != block:
        raise ValueError('SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND block shapes differ')
    pads_before, pads_after = [], []
    for axis in range(2):
        r, k = block[axis], kernel[axis]
        before = int(paddings[axis][0]) - int(crops[axis][0])
        total = (k - 1) * r
        after = total - before
        # TF's SAME for a stride-1 dilated conv: total split evenly, whatever the size.
        if before != total // 2 or after != total - total // 2:
            raise ValueError(f'atrous padding {before}/{after} is not SAME for rate {r}, kernel {k}')
        pads_before.append(before)
        pads_after.append(after)
    return block, pads_before + pads_after
