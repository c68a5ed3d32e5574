// The parts of TensorFlow Lite's schema.fbs (schema version 3) that the writer, the reader, the
// validator and the ops' option codecs (ops/) share: field slot numbers, enum values and names.
// There is no generated code: these numbers are the whole contract, so they live in one place. A
// union field takes two slots, `<name>_type` and then `<name>`. Checked against
// /work/shared/tflite/schema.fbs (tflite-micro 28389e0ff).
import type { DType } from '../ir.js';

export const FILE_IDENTIFIER = 'TFL3';
export const SCHEMA_VERSION = 3;

/** Field slots of each table (the index of the field in its schema declaration). */
export const SLOT = {
  Model: { version: 0, operator_codes: 1, subgraphs: 2, description: 3, buffers: 4, signature_defs: 7 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Buffer: { data: 0 },
  Tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 },
  Quantization: { min: 0, max: 1, scale: 2, zero_point: 3, details_type: 4, details: 5, quantized_dimension: 6 },
  OperatorCode: { deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 },
  Operator: { opcode_index: 0, inputs: 1, outputs: 2, builtin_options_type: 3, builtin_options: 4, custom_options: 5 },
  SignatureDef: { inputs: 0, outputs: 1, signature_key: 2, subgraph_index: 4 },
  TensorMap: { name: 0, tensor_index: 1 },
  Conv2DOptions: { padding: 0, stride_w: 1, stride_h: 2, fused_activation_function: 3, dilation_w_factor: 4, dilation_h_factor: 5 },
  DepthwiseConv2DOptions: { padding: 0, stride_w: 1, stride_h: 2, depth_multiplier: 3, fused_activation_function: 4, dilation_w_factor: 5, dilation_h_factor: 6 },
  Pool2DOptions: { padding: 0, stride_w: 1, stride_h: 2, filter_width: 3, filter_height: 4, fused_activation_function: 5 },
  SoftmaxOptions: { beta: 0 },
  AddOptions: { fused_activation_function: 0 },
  MulOptions: { fused_activation_function: 0 },
  ReshapeOptions: { new_shape: 0 },
  GatherOptions: { axis: 0, batch_dims: 1 },
  CastOptions: { in_data_type: 0, out_data_type: 1 },
} as const;

/** Number of fields to reserve in each table's vtable (highest slot used + 1). */
export const FIELDS = {
  Model: 8, SubGraph: 5, Buffer: 1, Tensor: 5, Quantization: 7, OperatorCode: 4, Operator: 6, SignatureDef: 5,
  TensorMap: 2, Conv2DOptions: 6, DepthwiseConv2DOptions: 7, Pool2DOptions: 6, SoftmaxOptions: 1, AddOptions: 1,
  MulOptions: 1, ReshapeOptions: 1, GatherOptions: 2, CastOptions: 2, Empty: 0,
} as const;

/** BuiltinOptions union type ids (position in the union declaration, NONE = 0). */
export const OPTIONS = {
  NONE: 0, Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, SoftmaxOptions: 9, AddOptions: 11,
  ReshapeOptions: 17, MulOptions: 21, GatherOptions: 23, ExpOptions: 33, CastOptions: 37, HardSwishOptions: 91,
} as const;

export const PADDING = { SAME: 0, VALID: 1 } as const;
/** ActivationFunctionType values of the fused activations the IR has. */
export const ACTIVATION = { NONE: 0, RELU: 1, RELU6: 3 } as const;

/** TensorType: the three the IR uses, and every name for error messages. */
export const TENSOR_TYPE: Record<DType, number> = { float32: 0, int32: 2, int8: 9 };
export const TENSOR_TYPE_NAMES = ['FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16',
  'COMPLEX64', 'INT8', 'FLOAT64', 'COMPLEX128', 'UINT64', 'RESOURCE', 'VARIANT', 'UINT32', 'UINT16', 'INT4'];

/** BuiltinOperator.CUSTOM, and the deprecated byte's "look at builtin_code instead" value. */
export const CUSTOM_CODE = 32;
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

// BuiltinOperator names by code 0..161 ('-' for unused codes), only so a refusal can name the op.
const OP_NAMES = `ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP
FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC
LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX
SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD
UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE
UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX
DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER
GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL
NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT
LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE
RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2
ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND
HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY
SEGMENT_SUM BATCH_MATMUL PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D -
- - HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE
READ_VARIABLE ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL
GELU DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_SUM
ATAN2 UNSORTED_SEGMENT_MIN SIGN BITCAST BITWISE_XOR RIGHT_SHIFT`.split(/\s+/);

export function builtinOpName(code: number): string {
  const name = OP_NAMES[code];
  return name && name !== '-' ? name : `builtin op code ${code}`;
}
