/* bpf_target_probe.bpf.c -- compiled at configure time (server/meson.build)
 * to learn whether clang can build for the BPF target with the kernel's
 * and libbpf's headers. Only that: exist_filter.bpf.c itself is then
 * compiled as a build step, so an error in it fails the build. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";
