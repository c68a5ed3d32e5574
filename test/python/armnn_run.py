# Runs a .tflite file in Arm NN (Debian's python3-pyarmnn, CpuRef backend): a second, independent
# TFLite parser and set of reference kernels for test 58. Usage:
#   /usr/bin/python3 armnn_run.py MODEL.tflite INPUTS.bin COUNT OUTPUTS.bin
# INPUTS.bin holds COUNT input tensors back to back in the model's input type (float32 or int8);
# OUTPUTS.bin receives COUNT output tensors in the output type. Exit 3 if the parser refuses
# the file (its message on stderr).
import sys

import numpy as np
import pyarmnn as ann

model, inputs, count, outputs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
parser = ann.ITfLiteParser()
try:
    network = parser.CreateNetworkFromBinaryFile(model)
except Exception as e:  # the parser's own message says which operator it refused
    print(str(e).splitlines()[0], file=sys.stderr)
    sys.exit(3)
in_info = parser.GetNetworkInputBindingInfo(0, parser.GetSubgraphInputTensorNames(0)[0])
out_info = parser.GetNetworkOutputBindingInfo(0, parser.GetSubgraphOutputTensorNames(0)[0])
runtime = ann.IRuntime(ann.CreationOptions())
optimized, _ = ann.Optimize(network, [ann.BackendId('CpuRef')], runtime.GetDeviceSpec(), ann.OptimizerOptions())
net_id, _ = runtime.LoadNetwork(optimized)
dtype = np.float32 if in_info[1].GetDataType() == ann.DataType_Float32 else np.int8
x = np.fromfile(inputs, dtype=dtype).reshape(count, -1)
results = []
for i in range(count):
    in_tensors = ann.make_input_tensors([in_info], [x[i]])
    out_tensors = ann.make_output_tensors([out_info])
    runtime.EnqueueWorkload(net_id, in_tensors, out_tensors)
    results.append(ann.workload_tensors_to_ndarray(out_tensors)[0].reshape(-1))
np.concatenate(results).tofile(outputs)
