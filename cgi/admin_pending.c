/* Handlers waiting for the operations layer: 501 until it lands. */
#include "admin.h"

#define PENDING(fn) void fn(struct adm *a) { admin_fail(a, 501, "Not yet."); }
PENDING(dash_show)
PENDING(user_list)
PENDING(user_set)
PENDING(user_delete)
