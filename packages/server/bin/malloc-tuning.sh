# Sourced by bin/inferd and bin/tritonserver before Node starts: glibc reads GLIBC_TUNABLES only at process
# start, so a server cannot set its own. `inferd_malloc_tuning "$@"` exports the settings for the serve
# flags given, unless the caller set GLIBC_TUNABLES (even to nothing) or INFERD_MALLOC_TUNING=off; the memory
# profile also adds a V8 heap flag to NODE_OPTIONS (V8's heap is the other allocator). Measured
# in bench/RESULTS.md ("malloc tunables"); why each is set: docs/architecture.md ("Memory allocator settings").
# Other C libraries (musl) ignore the variable.
inferd_malloc_tuning() {
  [ "${INFERD_MALLOC_TUNING:-on}" = off ] && return 0
  profile=throughput
  for arg in "$@"; do
    case $arg in
      --model-max-loaded | --model-max-loaded=* | --model-memory-budget | --model-memory-budget=*) profile=memory ;;
    esac
  done
  if [ "$profile" = memory ]; then
    # A small young generation: under load/unload churn V8 grows each thread's semi-spaces (main thread and
    # every ONNX pool thread) to their ceiling and keeps them. 1 MiB (2 MiB of new space per isolate, about 6
    # MiB less each than 4 MiB gave) costs more frequent, cheaper scavenges; bench/RESULTS.md (model-lru,
    # 2026-12-07): peak RSS 180 -> 161 MiB with 50 of 1000 tiny models loaded. Through NODE_OPTIONS, not
    # the command line: worker threads refuse V8 flags in their inherited execArgv.
    NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-semi-space-size=1"
    export NODE_OPTIONS
    # A bounded set of loaded models (issue 19): give freed memory back to the kernel. A fixed mmap
    # threshold keeps model-sized allocations in their own mappings (unmapped when freed) instead of letting
    # glibc raise it and keep them in its heaps; a small trim threshold returns the heap's free top.
    tunables=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
  else
    # Tensor traffic: keep up to 64 MiB of freed heap top mapped, so the next request's socket reads and
    # buffers reuse warm pages instead of faulting fresh ones; transparent huge pages for malloc's own
    # mappings (outputs past the 32 MiB mmap ceiling fault 2 MiB at a time, not 4 KiB). Setting any of
    # these turns off glibc's sliding mmap threshold (it would rise to 32 MiB as large blocks are freed),
    # so it is set at that ceiling: without it every block over 128 KiB (a 600 KB image tensor) was a
    # fresh mmap, ~150 page faults per request (bench/RESULTS.md, "malloc tunables", 2026-12-07 evening).
    tunables=glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432
  fi
  [ -n "${GLIBC_TUNABLES+set}" ] && return 0
  GLIBC_TUNABLES=$tunables
  export GLIBC_TUNABLES
  # Children (Python stubs) get the environment their own runtime expects, not the server's tuning.
  INFERD_SET_GLIBC_TUNABLES=$GLIBC_TUNABLES
  export INFERD_SET_GLIBC_TUNABLES
}
