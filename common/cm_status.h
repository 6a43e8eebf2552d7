/*
 * cm_status.h -- result codes shared by every module.
 *
 * Functions that can fail return cm_status and, when they return CM_ERROR,
 * fill a cm_error (see cm_error.h).  CM_AGAIN means "not now, try again"
 * (a would-block socket, a lock to wait for); CM_CLOSED means the peer or
 * the queue went away in an orderly way.  Never a bare -1.
 */
#ifndef PGKV_CM_STATUS_H
#define PGKV_CM_STATUS_H

typedef enum cm_status {
	CM_OK = 0,
	CM_AGAIN = 1,
	CM_ERROR = 2,
	CM_CLOSED = 3,
} cm_status;

#define CM_MUST_CHECK __attribute__((warn_unused_result))
#define CM_UNUSED __attribute__((unused))
#define CM_PRINTF(f, a) __attribute__((format(printf, f, a)))

#define cm_likely(x) __builtin_expect(!!(x), 1)
#define cm_unlikely(x) __builtin_expect(!!(x), 0)

#endif /* PGKV_CM_STATUS_H */
