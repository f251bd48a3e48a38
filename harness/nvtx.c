/*
 * nvtx.c — the NVTX3 domain and push/pop ranges of nvtx.h, or no-ops in builds without NVTX.
 */
#include "nvtx.h"

#ifdef LRB_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>

static nvtxDomainHandle_t domain(void)
{
    static nvtxDomainHandle_t d;
    if (!d)
        d = nvtxDomainCreateA("lrb");
    return d;
}

void lrb_nvtx_push(const char *name)
{
    nvtxEventAttributes_t a = {0};
    a.version = NVTX_VERSION;
    a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    a.colorType = NVTX_COLOR_ARGB;
    a.color = 0xFF3C78D8u;
    a.messageType = NVTX_MESSAGE_TYPE_ASCII;
    a.message.ascii = name;
    nvtxDomainRangePushEx(domain(), &a);
}

void lrb_nvtx_pop(void)
{
    nvtxDomainRangePop(domain());
}
int lrb_nvtx_enabled(void)
{
    return 1;
}
#else
void lrb_nvtx_push(const char *name)
{
    (void)name;
}
void lrb_nvtx_pop(void) {}
int lrb_nvtx_enabled(void)
{
    return 0;
}
#endif
