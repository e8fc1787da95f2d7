"""A TFLite model file as plain Python: tensors (constants dequantised to float32), operators in
execution order with their builtin options.

No TensorFlow here (Debian has no tflite runtime): the flatbuffer is read with the `flatbuffers`
runtime's Table reader and the field slots of tensorflow/lite/schema/schema.fbs written out by
hand below (slot = 4 + 2 x field index; a union takes two fields, its type then its value).
Only what DeepLab-style image models use is decoded; anything else is refused by name.
"""
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

# schema.fbs: enum TensorType
TENSOR_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8}

# schema.fbs: enum BuiltinOperator (the ones this reader knows)
BUILTIN_NAMES = {
    0: 'ADD',
    1: 'AVERAGE_POOL_2D',
    2: 'CONCATENATION',
    3: 'CONV_2D',
    4: 'DEPTHWISE_CONV_2D',
    6: 'DEQUANTIZE',
    18: 'MUL',
    21: 'RELU6',
    22: 'RESHAPE',
    23: 'RESIZE_BILINEAR',
    37: 'BATCH_TO_SPACE_ND',
    38: 'SPACE_TO_BATCH_ND',
    40: 'MEAN',
    56: 'ARG_MAX',
}

ACTIVATIONS = {0: 'NONE', 1: 'RELU', 2: 'RELU_N1_TO_1', 3: 'RELU6'}
PADDINGS = {0: 'SAME', 1: 'VALID'}

# Table field slots, schema.fbs field order.
MODEL = dict(version=4, operator_codes=6, subgraphs=8, description=10, buffers=12)
SUBGRAPH = dict(tensors=4, inputs=6, outputs=8, operators=10, name=12)
TENSOR = dict(shape=4, type=6, buffer=8, name=10, quantization=12)
QUANT = dict(min=4, max=6, scale=8, zero_point=10, quantized_dimension=16)
BUFFER = dict(data=4)
OPERATOR_CODE = dict(deprecated_builtin_code=4, custom_code=6, version=8, builtin_code=10)
OPERATOR = dict(opcode_index=4, inputs=6, outputs=8, builtin_options_type=10, builtin_options=12)

# Builtin options tables: field name -> (slot, flatbuffers type, default).
OPTIONS = {
    'CONV_2D': dict(
        padding=(4, N.Int8Flags, 0),
        stride_w=(6, N.Int32Flags, 0),
        stride_h=(8, N.Int32Flags, 0),
        fused_activation_function=(10, N.Int8Flags, 0),
        dilation_w_factor=(12, N.Int32Flags, 1),
        dilation_h_factor=(14, N.Int32Flags, 1),
    ),
    'DEPTHWISE_CONV_2D': dict(
        padding=(4, N.Int8Flags, 0),
        stride_w=(6, N.Int32Flags, 0),
        stride_h=(8, N.Int32Flags, 0),
        depth_multiplier=(10, N.Int32Flags, 0),
        fused_activation_function=(12, N.Int8Flags, 0),
        dilation_w_factor=(14, N.Int32Flags, 1),
        dilation_h_factor=(16, N.Int32Flags, 1),
    ),
    'AVERAGE_POOL_2D': dict(
        padding=(4, N.Int8Flags, 0),
        stride_w=(6, N.Int32Flags, 0),
        stride_h=(8, N.Int32Flags, 0),
        filter_width=(10, N.Int32Flags, 0),
        filter_height=(12, N.Int32Flags, 0),
        fused_activation_function=(14, N.Int8Flags, 0),
    ),
    'CONCATENATION': dict(axis=(4, N.Int32Flags, 0), fused_activation_function=(6, N.Int8Flags, 0)),
    'ADD': dict(fused_activation_function=(4, N.Int8Flags, 0)),
    'MUL': dict(fused_activation_function=(4, N.Int8Flags, 0)),
    # new_height/new_width (slots 4, 6) are deprecated: the size is the op's second input.
    'RESIZE_BILINEAR': dict(align_corners=(8, N.BoolFlags, False), half_pixel_centers=(10, N.BoolFlags, False)),
    'MEAN': dict(keep_dims=(4, N.BoolFlags, False)),
}


def _offset(t, slot):
    return t.Offset(slot)


def _scalar(t, slot, flags, default):
    o = t.Offset(slot)
    return t.Get(flags, o + t.Pos) if o else default


def _subtable(t, slot):
    o = t.Offset(slot)
    return Table(t.Bytes, t.Indirect(o + t.Pos)) if o else None


def _vector_tables(t, slot):
    o = t.Offset(slot)
    if not o:
        return []
    start = t.Vector(o)
    return [Table(t.Bytes, t.Indirect(start + 4 * i)) for i in range(t.VectorLen(o))]


def _vector_numpy(t, slot, flags):
    o = t.Offset(slot)
    if not o:
        return None
    return t.GetVectorAsNumpy(flags, o)


def _string(t, slot):
    o = t.Offset(slot)
    return t.String(o + t.Pos).decode('utf-8') if o else ''


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    dtype: type
    # Constant value, dequantised to float32 when the file stores it quantised; None for activations.
    data: np.ndarray | None
    # Quantisation of the stored constant (for the report and the int8 export), or None.
    scale: np.ndarray | None = None
    zero_point: np.ndarray | None = None
    quantized_dimension: int = 0
    raw: np.ndarray | None = None


@dataclass
class Operator:
    index: int
    kind: str
    inputs: list
    outputs: list
    options: dict = field(default_factory=dict)


@dataclass
class Graph:
    tensors: list
    operators: list
    inputs: list
    outputs: list
    description: str


def read_tflite(path):
    buf = bytearray(open(path, 'rb').read())
    if bytes(buf[4:8]) != b'TFL3':
        raise ValueError(f'{path}: not a TFLite flatbuffer (file identifier {bytes(buf[4:8])!r})')
    root = Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))

    buffers = []
    for b in _vector_tables(root, MODEL['buffers']):
        data = _vector_numpy(b, BUFFER['data'], N.Uint8Flags)
        buffers.append(None if data is None or len(data) == 0 else data)

    codes = []
    for c in _vector_tables(root, MODEL['operator_codes']):
        # Newer files carry the code in builtin_code (int32) and clamp the byte field at 127.
        code = max(
            _scalar(c, OPERATOR_CODE['deprecated_builtin_code'], N.Int8Flags, 0),
            _scalar(c, OPERATOR_CODE['builtin_code'], N.Int32Flags, 0),
        )
        if code not in BUILTIN_NAMES:
            raise ValueError(f'{path}: builtin operator {code} is not supported by this reader')
        codes.append(BUILTIN_NAMES[code])

    subgraphs = _vector_tables(root, MODEL['subgraphs'])
    if len(subgraphs) != 1:
        raise ValueError(f'{path}: {len(subgraphs)} subgraphs; only single-subgraph models are supported')
    sg = subgraphs[0]

    tensors = []
    for i, t in enumerate(_vector_tables(sg, SUBGRAPH['tensors'])):
        shape = tuple(int(d) for d in (_vector_numpy(t, TENSOR['shape'], N.Int32Flags) if _offset(t, TENSOR['shape']) else []))
        ttype = _scalar(t, TENSOR['type'], N.Int8Flags, 0)
        if ttype not in TENSOR_TYPES:
            raise ValueError(f'{path}: tensor {i} has unsupported type {ttype}')
        dtype = TENSOR_TYPES[ttype]
        name = _string(t, TENSOR['name'])
        raw = buffers[_scalar(t, TENSOR['buffer'], N.Uint32Flags, 0)]
        tensor = Tensor(i, name, shape, dtype, None)
        if raw is not None:
            tensor.raw = np.frombuffer(raw.tobytes(), dtype=dtype).reshape(shape)
            tensor.data = tensor.raw
        q = _subtable(t, TENSOR['quantization'])
        if q is not None:
            scale = _vector_numpy(q, QUANT['scale'], N.Float32Flags)
            if scale is not None and len(scale):
                tensor.scale = np.array(scale, dtype=np.float32)
                zp = _vector_numpy(q, QUANT['zero_point'], N.Int64Flags)
                tensor.zero_point = np.zeros(len(scale), np.int64) if zp is None else np.array(zp, np.int64)
                tensor.quantized_dimension = _scalar(q, QUANT['quantized_dimension'], N.Int32Flags, 0)
        tensors.append(tensor)

    operators = []
    for i, o in enumerate(_vector_tables(sg, SUBGRAPH['operators'])):
        kind = codes[_scalar(o, OPERATOR['opcode_index'], N.Uint32Flags, 0)]
        ins = [int(v) for v in _vector_numpy(o, OPERATOR['inputs'], N.Int32Flags)]
        outs = [int(v) for v in _vector_numpy(o, OPERATOR['outputs'], N.Int32Flags)]
        options = {}
        spec = OPTIONS.get(kind)
        if spec:
            opt = _subtable(o, OPERATOR['builtin_options'])
            for name, (slot, flags, default) in spec.items():
                options[name] = _scalar(opt, slot, flags, default) if opt is not None else default
            if 'padding' in options:
                options['padding'] = PADDINGS[options['padding']]
            if 'fused_activation_function' in options:
                options['fused_activation_function'] = ACTIVATIONS[options['fused_activation_function']]
        operators.append(Operator(i, kind, ins, outs, options))

    return Graph(
        tensors=tensors,
        operators=operators,
        inputs=[int(v) for v in _vector_numpy(sg, SUBGRAPH['inputs'], N.Int32Flags)],
        outputs=[int(v) for v in _vector_numpy(sg, SUBGRAPH['outputs'], N.Int32Flags)],
        description=_string(root, MODEL['description']),
    )


def dequantize(tensor):
    """float32 value of a quantised constant: scale x (q - zero_point), per tensor or per channel."""
    q = tensor.raw.astype(np.float32)
    if tensor.scale is None:
        return q
    shape = [1] * q.ndim
    if len(tensor.scale) > 1:
        shape[tensor.quantized_dimension] = len(tensor.scale)
    scale = tensor.scale.reshape(shape)
    zp = tensor.zero_point.astype(np.float32).reshape(shape)
    return (q - zp) * scale


def constant_value(tensor):
    """A constant's value: int32 as stored (sizes, paddings), every other type as float32."""
    if tensor.raw is None:
        raise KeyError(f'tensor {tensor.name} is not a constant')
    if tensor.dtype == np.int32:
        return tensor.raw
    return dequantize(tensor)


def summary(graph):
    lines = [f'{len(graph.tensors)} tensors, {len(graph.operators)} operators, inputs {graph.inputs}, outputs {graph.outputs}']
    for op in graph.operators:
        ins = ', '.join(f'{graph.tensors[i].name}{list(graph.tensors[i].shape)}' if i >= 0 else '-' for i in op.inputs)
        outs = ', '.join(f'{graph.tensors[i].name}{list(graph.tensors[i].shape)}' for i in op.outputs)
        lines.append(f'{op.index:3d} {op.kind} {op.options} ({ins}) -> {outs}')
    return '\n'.join(lines)


if __name__ == '__main__':
    import sys

    g = read_tflite(sys.argv[1])
    print(summary(g))
    for t in g.tensors:
        if t.raw is not None:
            print(t.index, t.name, t.shape, t.dtype.__name__, None if t.scale is None else (t.scale[:3], t.zero_point[:3], t.quantized_dimension))
