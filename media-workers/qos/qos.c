/*
 * A native helper (built by infra/build-native.sh): the QoS marks of a UDP socket (tos_audio, cos_audio).
 * Node's dgram sockets cannot set IP_TOS or SO_PRIORITY, so the media workers hand the
 * socket's descriptor here. Node-API only, so one build serves every Node release.
 *
 *   set(fd, tos, priority)  IP_TOS = tos, and SO_PRIORITY = priority when priority > 0;
 *                           throws Error("setsockopt IP_TOS: <strerror>") when the OS refuses
 *   get(fd)                 [tos, priority] as the OS reports them (for the tests)
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static int int_arg(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static napi_value fail(napi_env env, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value set(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd, tos, priority;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || !int_arg(env, argv[0], &fd) || !int_arg(env, argv[1], &tos) || !int_arg(env, argv[2], &priority)) {
    napi_throw_type_error(env, NULL, "set(fd, tos, priority) takes three integers");
    return NULL;
  }
  if (setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0) return fail(env, "setsockopt IP_TOS");
  if (priority > 0 && setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &priority, sizeof priority) != 0) return fail(env, "setsockopt SO_PRIORITY");
  return NULL;
}

static napi_value get(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  int32_t fd;
  int tos = 0, priority = 0;
  socklen_t len = sizeof tos;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !int_arg(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "get(fd) takes an integer");
    return NULL;
  }
  if (getsockopt(fd, IPPROTO_IP, IP_TOS, &tos, &len) != 0) return fail(env, "getsockopt IP_TOS");
  len = sizeof priority;
  if (getsockopt(fd, SOL_SOCKET, SO_PRIORITY, &priority, &len) != 0) return fail(env, "getsockopt SO_PRIORITY");
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, tos, &v);
  napi_set_element(env, out, 0, v);
  napi_create_int32(env, priority, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "set", NAPI_AUTO_LENGTH, set, NULL, &fn);
  napi_set_named_property(env, exports, "set", fn);
  napi_create_function(env, "get", NAPI_AUTO_LENGTH, get, NULL, &fn);
  napi_set_named_property(env, exports, "get", fn);
  return exports;
}
