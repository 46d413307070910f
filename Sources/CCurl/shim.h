// Typed, non-variadic wrappers over libcurl's variadic setopt/getinfo calls.
// Swift cannot call C varargs functions; this is the only place that does.
#ifndef FREIGHT_CCURL_SHIM_H
#define FREIGHT_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*fl_curl_data_cb)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*fl_curl_seek_cb)(void *userdata, curl_off_t offset, int origin);

static inline CURLcode fl_easy_setopt_long(CURL *h, CURLoption opt, long value) {
    return curl_easy_setopt(h, opt, value);
}
static inline CURLcode fl_easy_setopt_off(CURL *h, CURLoption opt, curl_off_t value) {
    return curl_easy_setopt(h, opt, value);
}
static inline CURLcode fl_easy_setopt_string(CURL *h, CURLoption opt, const char *value) {
    return curl_easy_setopt(h, opt, value);
}
static inline CURLcode fl_easy_setopt_pointer(CURL *h, CURLoption opt, void *value) {
    return curl_easy_setopt(h, opt, value);
}
static inline CURLcode fl_easy_setopt_slist(CURL *h, CURLoption opt, struct curl_slist *value) {
    return curl_easy_setopt(h, opt, value);
}
static inline CURLcode fl_easy_setopt_callback(CURL *h, CURLoption opt, fl_curl_data_cb cb) {
    return curl_easy_setopt(h, opt, cb);
}
static inline CURLcode fl_easy_setopt_seek(CURL *h, fl_curl_seek_cb cb) {
    return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, cb);
}
// A blob option (CURLOPT_CAINFO_BLOB): libcurl copies the bytes, so they need not outlive the call.
static inline CURLcode fl_easy_setopt_blob(CURL *h, CURLoption opt, void *data, size_t length) {
    struct curl_blob blob = { data, length, CURL_BLOB_COPY };
    return curl_easy_setopt(h, opt, &blob);
}
static inline CURLcode fl_easy_getinfo_long(CURL *h, CURLINFO info, long *out) {
    return curl_easy_getinfo(h, info, out);
}
static inline CURLcode fl_easy_getinfo_off(CURL *h, CURLINFO info, curl_off_t *out) {
    return curl_easy_getinfo(h, info, out);
}
static inline CURLcode fl_easy_getinfo_pointer(CURL *h, CURLINFO info, void **out) {
    return curl_easy_getinfo(h, info, out);
}
static inline CURLcode fl_easy_getinfo_string(CURL *h, CURLINFO info, char **out) {
    return curl_easy_getinfo(h, info, out);
}
static inline CURLMcode fl_multi_setopt_long(CURLM *m, CURLMoption opt, long value) {
    return curl_multi_setopt(m, opt, value);
}

// Return values of the data callbacks, exposed as constants of the callbacks' return type.
static inline size_t fl_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
static inline size_t fl_curl_readfunc_pause(void) { return CURL_READFUNC_PAUSE; }
static inline size_t fl_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
static inline int fl_curl_seekfunc_ok(void) { return CURL_SEEKFUNC_OK; }
static inline int fl_curl_seekfunc_cantseek(void) { return CURL_SEEKFUNC_CANTSEEK; }
static inline int fl_curl_error_size(void) { return CURL_ERROR_SIZE; }

#endif
