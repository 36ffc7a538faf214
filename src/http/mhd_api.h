/*
 * mhd_api.h - libmicrohttpd, loaded on first use (util/dynlib.h). Include this instead of <microhttpd.h>: the calls
 * read as libmicrohttpd's own (MHD_start_daemon(...)) and go through a table that mhd_api() fills once.
 */
#ifndef ROLEGATE_MHD_API_H
#define ROLEGATE_MHD_API_H

#include <microhttpd.h>

/* Every libmicrohttpd function rolegate calls. */
#define MHD_API_FUNCS(X)                                                                                              \
	X(MHD_start_daemon)                                                                                               \
	X(MHD_stop_daemon)                                                                                                \
	X(MHD_quiesce_daemon)                                                                                             \
	X(MHD_get_daemon_info)                                                                                            \
	X(MHD_get_connection_info)                                                                                        \
	X(MHD_get_connection_values)                                                                                      \
	X(MHD_lookup_connection_value)                                                                                    \
	X(MHD_create_response_from_buffer)                                                                                \
	X(MHD_create_response_from_buffer_with_free_callback)                                                             \
	X(MHD_create_response_from_buffer_with_free_callback_cls)                                                         \
	X(MHD_add_response_header)                                                                                        \
	X(MHD_queue_response)                                                                                             \
	X(MHD_destroy_response)                                                                                           \
	X(MHD_suspend_connection)                                                                                         \
	X(MHD_resume_connection)                                                                                          \
	X(MHD_is_feature_supported)

struct mhd_api {
#define MHD_API_MEMBER(f) __typeof__(&f) f;
	MHD_API_FUNCS(MHD_API_MEMBER)
#undef MHD_API_MEMBER
};

/* The table, loaded on the first call (thread-safe; fatal when libmicrohttpd cannot be loaded). */
const struct mhd_api *mhd_api(void);

#ifndef MHD_API_IMPLEMENTATION
#define MHD_start_daemon (mhd_api()->MHD_start_daemon)
#define MHD_stop_daemon (mhd_api()->MHD_stop_daemon)
#define MHD_quiesce_daemon (mhd_api()->MHD_quiesce_daemon)
#define MHD_get_daemon_info (mhd_api()->MHD_get_daemon_info)
#define MHD_get_connection_info (mhd_api()->MHD_get_connection_info)
#define MHD_get_connection_values (mhd_api()->MHD_get_connection_values)
#define MHD_lookup_connection_value (mhd_api()->MHD_lookup_connection_value)
#define MHD_create_response_from_buffer (mhd_api()->MHD_create_response_from_buffer)
#define MHD_create_response_from_buffer_with_free_callback                                                          \
	(mhd_api()->MHD_create_response_from_buffer_with_free_callback)
#define MHD_create_response_from_buffer_with_free_callback_cls                                                      \
	(mhd_api()->MHD_create_response_from_buffer_with_free_callback_cls)
#define MHD_add_response_header (mhd_api()->MHD_add_response_header)
#define MHD_queue_response (mhd_api()->MHD_queue_response)
#define MHD_destroy_response (mhd_api()->MHD_destroy_response)
#define MHD_suspend_connection (mhd_api()->MHD_suspend_connection)
#define MHD_resume_connection (mhd_api()->MHD_resume_connection)
#define MHD_is_feature_supported (mhd_api()->MHD_is_feature_supported)
#endif

#endif
