/*
 * CPU affinity of the process's threads, for core/affinity.ts (pin_event_loop): Node has
 * no call for sched_getaffinity or sched_setaffinity. Node-API only, like the QoS helper.
 *
 *   allowed()          the CPUs the calling thread may run on, ascending
 *   pin(tid, cpus)     let thread `tid` run only on `cpus`; false when the thread has gone,
 *                      throws Error("sched_setaffinity: <strerror>") when the OS refuses
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>

static napi_value fail(napi_env env, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value allowed(napi_env env, napi_callback_info info) {
  cpu_set_t set;
  napi_value out, v;
  uint32_t n = 0;
  (void)info;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return fail(env, "sched_getaffinity");
  napi_create_array(env, &out);
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (!CPU_ISSET(cpu, &set)) continue;
    napi_create_int32(env, cpu, &v);
    napi_set_element(env, out, n++, v);
  }
  return out;
}

static napi_value pin(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t tid;
  uint32_t len;
  bool is_array = false;
  cpu_set_t set;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &tid) != napi_ok || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "pin(tid, cpus) takes a thread id and an array of CPU numbers");
    return NULL;
  }
  napi_get_array_length(env, argv[1], &len);
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    int32_t cpu;
    napi_get_element(env, argv[1], i, &e);
    if (napi_get_value_int32(env, e, &cpu) != napi_ok || cpu < 0 || cpu >= CPU_SETSIZE) {
      napi_throw_range_error(env, NULL, "pin: a CPU number is out of range");
      return NULL;
    }
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof set, &set) != 0) {
    if (errno == ESRCH) { napi_get_boolean(env, false, &result); return result; }
    return fail(env, "sched_setaffinity");
  }
  napi_get_boolean(env, true, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "allowed", NAPI_AUTO_LENGTH, allowed, NULL, &fn);
  napi_set_named_property(env, exports, "allowed", fn);
  napi_create_function(env, "pin", NAPI_AUTO_LENGTH, pin, NULL, &fn);
  napi_set_named_property(env, exports, "pin", fn);
  return exports;
}
