# Shared by build.sh, run.sh and test.sh: the same flags for every cargo call,
# so no command invalidates another's build.
if command -v mold >/dev/null 2>&1 && [ -z "${RUSTFLAGS:-}" ]; then
  export RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi
