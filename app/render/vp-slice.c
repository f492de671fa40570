/* placeholder, being written */ typedef int vp_placeholder_t;
