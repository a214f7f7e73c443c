# Sourced by the comparison scripts: the peers a user would pick instead, from Debian's packages
# (OpenBLAS so that numpy does not fall back to the slow reference BLAS). Sets PY to Debian's python,
# not the pyenv python on PATH.
PY=/usr/bin/python3
missing=()
for package in python3-sklearn python3-pandas libopenblas0-pthread; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "# installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# What this CPU can run, from /proc/cpuinfo (the flags of the first processor).
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | sed 's/^flags[^:]*://') "
cpu_has() { [[ "$cpu_flags" == *" $1 "* ]]; }

# OpenBLAS kernels to name outright (OPENBLAS_CORETYPE) besides the one it detects: Debian's OpenBLAS
# 0.3.21 does not know every recent CPU and may fall back to a generic SSE3 kernel, so each kernel this
# CPU can run is tried and the fastest counts. A kernel the CPU cannot run (SkylakeX without avx512f)
# would die on an illegal instruction, so it is never named. The AVX2 ones (Haswell, Zen) serve the
# comparison with our AVX2 path on an AVX-512 machine too.
blas_avx512_coretypes=()
blas_avx2_coretypes=()
if cpu_has avx512f && cpu_has avx512dq && cpu_has avx512bw && cpu_has avx512vl; then
    blas_avx512_coretypes=(SkylakeX)
fi
if cpu_has avx2 && cpu_has fma; then
    blas_avx2_coretypes=(Haswell Zen)
fi

# Our side on the kernels of an AVX2 machine without AVX-512 (--avx2 in the scripts): .NET 10 reads
# DOTNET_EnableAVX512=0 (it no longer reads DOTNET_EnableAVX512F); the older name is set too for older
# runtimes. With it Vector512 is not accelerated and the JIT has 16 vector registers, as on such a CPU.
dotnet_avx2_env=(DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0)

# Runs a peer and keeps going if it fails (a missing instruction set, a missing package): prints why.
run_peer() {
    local status=0
    "$@" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "# peer failed (exit $status), left out: $*" >&2
    fi
    return 0
}
