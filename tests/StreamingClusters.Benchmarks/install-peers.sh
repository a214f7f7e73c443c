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
