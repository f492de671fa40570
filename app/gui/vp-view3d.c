typedef int vp_placeholder_t;
