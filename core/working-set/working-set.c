/*
 * For core/working-set.ts: Node has no call for madvise.
 *
 *   release(address, length)   madvise(MADV_DONTNEED) on a page-aligned range of a clean,
 *                              read-only file mapping: its pages leave the process's
 *                              resident set and stay in the page cache, to be mapped
 *                              again on their next use. Throws Error("madvise: <strerror>").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <node_api.h>

static napi_value release(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double address, length;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_double(env, argv[0], &address) != napi_ok || napi_get_value_double(env, argv[1], &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "release(address, length) takes two numbers");
    return NULL;
  }
  if (madvise((void *)(unsigned long)address, (size_t)length, MADV_DONTNEED) != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "madvise: %s", strerror(errno));
    napi_throw_error(env, NULL, msg);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "release", NAPI_AUTO_LENGTH, release, NULL, &fn);
  napi_set_named_property(env, exports, "release", fn);
  return exports;
}
