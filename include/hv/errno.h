/*
 * Error codes. Functions that can fail return 0 on success or a negative
 * HV_E* code; pointer-returning functions return NULL and leave the reason in
 * an out-parameter when the caller needs it. err_name() turns a code into the
 * short name used in log messages ("EINVAL"), err_text() into a phrase.
 */
#ifndef HV_ERRNO_H
#define HV_ERRNO_H

enum hv_err {
	HV_OK = 0,
	HV_EINVAL = -1,   /* malformed argument */
	HV_ENOMEM = -2,   /* out of memory or of a fixed-size resource */
	HV_EBUSY = -3,    /* transient contention: the caller may retry */
	HV_EEXIST = -4,   /* object already present */
	HV_ENOENT = -5,   /* object not found */
	HV_ERANGE = -6,   /* value outside the allowed range */
	HV_EOVERLAP = -7, /* range overlaps an existing one */
	HV_EALIGN = -8,   /* address or size not suitably aligned */
	HV_EFAULT = -9,   /* bad address (unmapped, not backed) */
	HV_EPERM = -10,   /* operation not allowed in this state */
	HV_EAGAIN = -11,  /* state changed under us: retry from scratch */
	HV_ENOSYS = -12,  /* not implemented / not supported by this CPU */
	HV_EIO = -13,     /* an external component (firmware, module) failed */
	HV_ERR_COUNT_ = 14,
};

const char *err_name(int err);
const char *err_text(int err);

#endif /* HV_ERRNO_H */
