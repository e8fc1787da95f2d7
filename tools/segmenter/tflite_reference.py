"""A NumPy interpreter of a TFLite graph (tflite_graph.py), op by op as TFLite's kernels define
them, NHWC float32, batch 1. It is the reference the ONNX conversion is checked against, since
no TFLite runtime can be installed here.

Two modes:
- 'tflite': what TFLite itself computes. A CONV_2D whose filter is int8 while its input is
  float32 runs TFLite's *hybrid* kernel (kernels/conv.cc EvalHybrid): the input is quantised on
  the fly, symmetric, one scale per image (max |x| / 127, round half away from zero, clamp to
  +-127), multiplied with the int8 filter in integers, and scaled back by input scale x filter
  scale before the bias and the activation.
- 'dequantized': the same graph with every int8 filter dequantised to float32 and float kernels
  throughout: what a dequantised conversion computes, so the conversion's own error is measured
  against this one.

SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND are executed literally (the converter turns them into
dilated convolutions; comparing the two checks that rewrite).
"""
import numpy as np

from tflite_graph import constant_value, dequantize


def _activation(x, name):
    if name == 'NONE':
        return x
    if name == 'RELU':
        return np.maximum(x, np.float32(0))
    if name == 'RELU6':
        return np.minimum(np.maximum(x, np.float32(0)), np.float32(6))
    if name == 'RELU_N1_TO_1':
        return np.minimum(np.maximum(x, np.float32(-1)), np.float32(1))
    raise ValueError(f'activation {name} not supported')


def same_padding(size, kernel, stride, dilation):
    """TFLite's ComputePaddingHeightWidth for SAME: (output size, pad before, pad after)."""
    effective = (kernel - 1) * dilation + 1
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + effective - size, 0)
    return out, total // 2, total - total // 2


def _windows(x, kh, kw, stride, dilation, padding):
    """Zero-padded input and output size for a conv/pool window (NHWC)."""
    _, h, w, _ = x.shape
    if padding == 'SAME':
        oh, top, bottom = same_padding(h, kh, stride[0], dilation[0])
        ow, left, right = same_padding(w, kw, stride[1], dilation[1])
    else:
        oh = (h - (kh - 1) * dilation[0] - 1) // stride[0] + 1
        ow = (w - (kw - 1) * dilation[1] - 1) // stride[1] + 1
        top = bottom = left = right = 0
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    return xp, oh, ow


def _taps(xp, oh, ow, kh, kw, stride, dilation):
    """The input under each filter tap: list of (i, j, [N, oh, ow, C])."""
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dilation[0], j * dilation[1]
            yield i, j, xp[:, y0 : y0 + (oh - 1) * stride[0] + 1 : stride[0], x0 : x0 + (ow - 1) * stride[1] + 1 : stride[1], :]


def conv2d(x, w, b, opts, accumulate=np.float32):
    """w: [O, kh, kw, I] (TFLite layout). Accumulates in `accumulate` (float64 keeps integer
    products exact for the hybrid kernel)."""
    _, kh, kw, _ = w.shape
    stride = (opts['stride_h'], opts['stride_w'])
    dilation = (opts['dilation_h_factor'], opts['dilation_w_factor'])
    xp, oh, ow = _windows(x, kh, kw, stride, dilation, opts['padding'])
    cols = np.concatenate([t for _, _, t in _taps(xp, oh, ow, kh, kw, stride, dilation)], axis=3)
    wm = w.reshape(w.shape[0], -1).T  # [(kh kw I), O], tap-major like `cols`
    n = x.shape[0]
    out = cols.reshape(-1, cols.shape[-1]).astype(accumulate) @ wm.astype(accumulate)
    return out.reshape(n, oh, ow, w.shape[0]), b


def depthwise_conv2d(x, w, b, opts):
    """w: [1, kh, kw, C x multiplier]; float kernel, taps summed in order, then the bias."""
    _, kh, kw, cm = w.shape
    if opts['depth_multiplier'] != 1 or cm != x.shape[3]:
        raise ValueError('depth_multiplier != 1 is not supported')
    stride = (opts['stride_h'], opts['stride_w'])
    dilation = (opts['dilation_h_factor'], opts['dilation_w_factor'])
    xp, oh, ow = _windows(x, kh, kw, stride, dilation, opts['padding'])
    acc = np.zeros((x.shape[0], oh, ow, cm), np.float32)
    for i, j, t in _taps(xp, oh, ow, kh, kw, stride, dilation):
        acc += t * w[0, i, j, :]
    return _activation(acc + b, opts['fused_activation_function'])


def symmetric_quantize(x):
    """tensor_utils::SymmetricQuantizeFloats: int8 values (as float64) and the scale."""
    r = np.float32(max(abs(float(x.min())), abs(float(x.max()))))
    if r == 0:
        return np.zeros(x.shape, np.float64), np.float32(1)
    scale = np.float32(r / np.float32(127))
    inv = np.float32(np.float32(127) / r)
    v = (x * inv).astype(np.float64)  # the float32 product, then TfLiteRound (half away from zero)
    q = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(q, -127, 127), scale


def resize_bilinear(x, out_h, out_w, align_corners, half_pixel_centers):
    """reference_ops::ResizeBilinear, float32."""
    _, h, w, _ = x.shape

    def axis(n_in, n_out):
        scale = np.float32(n_in / n_out)
        if align_corners and n_out > 1:
            scale = np.float32((n_in - 1) / (n_out - 1))
        o = np.arange(n_out, dtype=np.float32)
        src = (o + np.float32(0.5)) * scale - np.float32(0.5) if half_pixel_centers else o * scale
        # ComputeInterpolationValues: lower = max(floor, 0), upper = min(ceil, n - 1).
        i0 = np.maximum(np.floor(src), 0).astype(np.int64)
        i1 = np.minimum(np.ceil(src), n_in - 1).astype(np.int64)
        frac = (src - i0).astype(np.float32)
        return i0, i1, frac

    y0, y1, fy = axis(h, out_h)
    x0, x1, fx = axis(w, out_w)
    fy = fy[None, :, None, None]
    fx = fx[None, None, :, None]
    one = np.float32(1)
    a = x[:, y0][:, :, x0]
    b = x[:, y1][:, :, x0]
    c = x[:, y0][:, :, x1]
    d = x[:, y1][:, :, x1]
    return a * (one - fy) * (one - fx) + b * fy * (one - fx) + c * (one - fy) * fx + d * fy * fx


def space_to_batch(x, block, paddings):
    n, h, w, c = x.shape
    xp = np.pad(x, ((0, 0), tuple(paddings[0]), tuple(paddings[1]), (0, 0)))
    bh, bw = block
    hp, wp = xp.shape[1], xp.shape[2]
    y = xp.reshape(n, hp // bh, bh, wp // bw, bw, c).transpose(2, 4, 0, 1, 3, 5)
    return y.reshape(bh * bw * n, hp // bh, wp // bw, c)


def batch_to_space(x, block, crops):
    bh, bw = block
    nb, h, w, c = x.shape
    n = nb // (bh * bw)
    y = x.reshape(bh, bw, n, h, w, c).transpose(2, 3, 0, 4, 1, 5).reshape(n, h * bh, w * bw, c)
    return y[:, crops[0][0] : h * bh - crops[0][1], crops[1][0] : w * bw - crops[1][1], :]


def run(graph, image, mode='tflite', keep=()):
    """Runs the graph on `image` (NHWC float32). Returns {tensor name: value} for the graph's
    outputs and every name in `keep`."""
    if mode not in ('tflite', 'dequantized'):
        raise ValueError(mode)
    t = graph.tensors
    values = {}

    def get(i):
        return values[i] if i in values else constant_value(t[i])

    values[graph.inputs[0]] = image.astype(np.float32)
    for op in graph.operators:
        ins = op.inputs
        o = op.options
        if op.kind == 'CONV_2D':
            x, filt, bias = get(ins[0]), t[ins[1]], get(ins[2])
            if filt.scale is not None and mode == 'tflite':
                q, in_scale = symmetric_quantize(x)
                acc, _ = conv2d(q, filt.raw.astype(np.float64), None, o, accumulate=np.float64)
                scale = np.float32(in_scale * np.float32(filt.scale[0]))
                if len(filt.scale) != 1 or filt.zero_point[0] != 0:
                    raise ValueError(f'{filt.name}: only per-tensor symmetric hybrid filters are supported')
                y = acc.astype(np.float32) * scale + bias
            else:
                acc, _ = conv2d(x, get(ins[1]), None, o)
                y = acc.astype(np.float32) + bias
            out = _activation(y, o['fused_activation_function'])
        elif op.kind == 'DEPTHWISE_CONV_2D':
            out = depthwise_conv2d(get(ins[0]), get(ins[1]), get(ins[2]), o)
        elif op.kind == 'DEQUANTIZE':
            out = dequantize(t[ins[0]])
        elif op.kind == 'ADD':
            out = _activation(get(ins[0]) + get(ins[1]), o['fused_activation_function'])
        elif op.kind == 'MUL':
            out = _activation(get(ins[0]) * get(ins[1]), o['fused_activation_function'])
        elif op.kind == 'CONCATENATION':
            axis = o['axis'] % 4
            out = _activation(np.concatenate([get(i) for i in ins], axis=axis), o['fused_activation_function'])
        elif op.kind == 'AVERAGE_POOL_2D':
            x = get(ins[0])
            if o['padding'] != 'VALID' or (o['filter_height'], o['filter_width']) != x.shape[1:3]:
                raise ValueError('only a global AVERAGE_POOL_2D (VALID, filter = input size) is supported')
            out = _activation(x.sum(axis=(1, 2), keepdims=True, dtype=np.float32) / np.float32(x.shape[1] * x.shape[2]), o['fused_activation_function'])
        elif op.kind == 'RESIZE_BILINEAR':
            size = get(ins[1])
            out = resize_bilinear(get(ins[0]), int(size[0]), int(size[1]), o['align_corners'], o['half_pixel_centers'])
        elif op.kind == 'SPACE_TO_BATCH_ND':
            out = space_to_batch(get(ins[0]), get(ins[1]), get(ins[2]))
        elif op.kind == 'BATCH_TO_SPACE_ND':
            out = batch_to_space(get(ins[0]), get(ins[1]), get(ins[2]))
        else:
            raise ValueError(f'operator {op.kind} is not implemented in the reference')
        values[op.outputs[0]] = out.astype(np.float32)

    names = {t[i].name: i for i in range(len(t))}
    result = {t[i].name: values[i] for i in graph.outputs}
    for name in keep:
        result[name] = values[names[name]]
    return result
