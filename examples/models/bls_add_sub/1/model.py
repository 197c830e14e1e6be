# Triton's BLS pattern: build an InferenceRequest for another model, exec() it, check has_error().
# The call runs inside the server (no HTTP); the inputs are passed on as they came.
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            bls_request = pb_utils.InferenceRequest(
                model_name="simple",
                inputs=[pb_utils.get_input_tensor_by_name(request, "INPUT0"),
                        pb_utils.get_input_tensor_by_name(request, "INPUT1")],
                requested_output_names=["OUTPUT0", "OUTPUT1"])
            bls_response = bls_request.exec()
            if bls_response.has_error():
                # Triton's BLS does not raise: pass the callee's error on to the client.
                responses.append(pb_utils.InferenceResponse(error=bls_response.error()))
                continue
            responses.append(pb_utils.InferenceResponse(output_tensors=[
                pb_utils.get_output_tensor_by_name(bls_response, "OUTPUT0"),
                pb_utils.get_output_tensor_by_name(bls_response, "OUTPUT1"),
            ]))
        return responses
