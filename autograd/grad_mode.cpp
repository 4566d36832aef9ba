// The tape's switches (see grad_mode.h): per-thread flags, so one thread's NoGradGuard never affects another's.
#include "autograd/grad_mode.h"

namespace glimpse {
namespace {
thread_local bool g_grad_enabled = true;
thread_local bool g_anomaly_enabled = false;
}  // namespace

bool is_grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }
bool is_anomaly_enabled() { return g_anomaly_enabled; }
void set_anomaly_enabled(bool enabled) { g_anomaly_enabled = enabled; }

}  // namespace glimpse
