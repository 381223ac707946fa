// binding/kernels.cpp - registers the op families the learners use. Each family lives in its own
// binding/<stem>.cpp and adds one line here.
#include "binding/napi-util.h"

namespace spaic::binding {

void register_opt_step(Napi::Object exports);

void register_kernels(Napi::Object exports) {
  register_opt_step(exports);
}

}  // namespace spaic::binding
