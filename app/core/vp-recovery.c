/* Placeholder: being written. */
#include "vp-recovery.h"

#include <stdlib.h>
void vp_recovery_info_clear(VpRecoveryInfo *info)
{
  
}

char *vp_recovery_path(const char *dir, long pid, unsigned window)
{
  return NULL;
}

bool vp_recovery_write(const char *path, const VpPlan *plan, const char *document_path, VpError *err)
{
  return 0;
}

VpPlan *vp_recovery_read(const char *path, VpRecoveryInfo *info, VpError *err)
{
  return NULL;
}

bool vp_recovery_remove(const char *path, VpError *err)
{
  return 0;
}

bool vp_recovery_process_alive(long pid)
{
  return 0;
}

VpRecoveryInfo *vp_recovery_list_orphans(const char *dir, size_t *count, VpError *err)
{
  return NULL;
}

void vp_recovery_list_free(VpRecoveryInfo *list, size_t count)
{
  
}
