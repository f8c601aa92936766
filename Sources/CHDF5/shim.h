// What Swift cannot import from hdf5.h, as functions.
//
// The native-type macros expand to (H5open(), H5T_NATIVE_FLOAT_g): Swift 6 rejects the mutable
// globals, so each is wrapped here. H5P_DEFAULT, the H5F_ACC_* flags, H5T_VARIABLE and
// H5S_UNLIMITED are macros too. SwiftPM does not rebuild when this header changes: remove .build
// after editing it.
#ifndef UNRAVEL_CHDF5_SHIM_H
#define UNRAVEL_CHDF5_SHIM_H

#include <hdf5.h>

// Memory types.
static inline hid_t unravel_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t unravel_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t unravel_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t unravel_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t unravel_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t unravel_c_string(void) { return H5T_C_S1; }

// File types: little-endian standard types, as h5py writes them on x86.
static inline hid_t unravel_file_float(void) { return H5T_IEEE_F32LE; }
static inline hid_t unravel_file_double(void) { return H5T_IEEE_F64LE; }
static inline hid_t unravel_file_int32(void) { return H5T_STD_I32LE; }
static inline hid_t unravel_file_int64(void) { return H5T_STD_I64LE; }
static inline hid_t unravel_file_uint8(void) { return H5T_STD_U8LE; }

// Constants.
static inline hid_t unravel_p_default(void) { return H5P_DEFAULT; }
static inline hid_t unravel_e_default(void) { return H5E_DEFAULT; }
static inline hid_t unravel_s_all(void) { return H5S_ALL; }
static inline unsigned unravel_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned unravel_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned unravel_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned unravel_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline size_t unravel_variable_size(void) { return H5T_VARIABLE; }
static inline hsize_t unravel_unlimited(void) { return H5S_UNLIMITED; }
static inline unsigned unravel_obj_all(void) { return H5F_OBJ_ALL; }

// Property list classes.
static inline hid_t unravel_plist_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t unravel_plist_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t unravel_plist_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t unravel_plist_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t unravel_plist_file_create(void) { return H5P_FILE_CREATE; }

// Error printing is per thread: call before every entry into the library.
static inline void unravel_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// Version-neutral wrappers: these calls changed names or structs between 1.10 and 1.12+.
static inline H5O_type_t unravel_object_type(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
#endif
    return info.type;
}

static inline herr_t unravel_vlen_reclaim(hid_t type, hid_t space, void *buffer) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

#endif
