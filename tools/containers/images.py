"""The images step 06's compose.yaml runs on, whichever this machine can have.

compose.yaml names each image by a variable whose default is the official one
(`${POSTGRES_IMAGE:-postgres:15.10-bookworm}`). Where a registry answers, those are
pulled. Where none does, images that behave the same are built here from Debian's
packages, under names of their own (backchat-local/...): never under an official
image's name. A Debian base comes from mmdebstrap, with this machine's extra CA
certificates (a TLS-intercepting proxy's), so that pip inside a build trusts it.

    python tools/containers/images.py steps/06-deploy/compose.yaml   # prints NAME=image lines

Docker keeps what it built: a second run takes seconds.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
DEBIAN = "backchat-local/debian:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
SOURCES = [
    f"deb {DEBIAN_MIRROR} bookworm main",
    f"deb {DEBIAN_MIRROR} bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
]
# The variable compose.yaml reads -> the recipe (a folder here) and the local name.
LOCAL = {
    "PYTHON_IMAGE": ("python", "backchat-local/python:3.11"),
    "POSTGRES_IMAGE": ("postgres", "backchat-local/postgres:15"),
    "REDIS_IMAGE": ("redis", "backchat-local/redis:7"),
    "NGINX_IMAGE": ("nginx", "backchat-local/nginx:1.22"),
}
EXTRA_CA_CERTIFICATES = Path("/usr/local/share/ca-certificates")


def log(text):
    print(f"images: {text}", flush=True)


def defaults(compose_file):
    """{"POSTGRES_IMAGE": "postgres:15.10-bookworm", ...}: the ${NAME:-default}s."""
    text = Path(compose_file).read_text(encoding="utf-8")
    return dict(re.findall(r"\$\{([A-Z_]+_IMAGE):-([^}]+)\}", text))


def have(image):
    return (
        subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    )


def pull(image):
    """True if a registry gave us the image; where none answers docker says so at once."""
    result = subprocess.run(["docker", "pull", "-q", image], capture_output=True, text=True)
    if result.returncode != 0:
        log(f"cannot pull {image}: {result.stderr.strip().splitlines()[-1]}")
    return result.returncode == 0


def build_debian():
    """A minimal Debian 12 image, made from Debian's packages (3 to 4 minutes, once)."""
    if have(DEBIAN):
        return
    if shutil.which("mmdebstrap") is None:
        sys.exit(
            "images: no registry answers and mmdebstrap is missing: apt-get install mmdebstrap"
        )
    log(f"building {DEBIAN} with mmdebstrap (3 to 4 minutes, once)")
    hooks = []
    if any(EXTRA_CA_CERTIFICATES.glob("*.crt")):
        hooks = [
            f"--customize-hook=copy-in {' '.join(map(str, EXTRA_CA_CERTIFICATES.glob('*.crt')))}"
            " /usr/local/share/ca-certificates",
            '--customize-hook=chroot "$1" update-ca-certificates',
        ]
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tmp) / "debian.tar"
        subprocess.run(
            ["mmdebstrap", "--quiet", "--variant=minbase", "--include=ca-certificates",
             "--aptopt=APT::Install-Recommends false", *hooks,
             "bookworm", str(tarball), *SOURCES],
            check=True,
        )  # fmt: skip
        subprocess.run(
            ["docker", "import", "--change", 'CMD ["bash"]', str(tarball), DEBIAN],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip


def build_local(recipe, name):
    """Docker's build cache makes this quick after the first time."""
    log(f"building {name} from Debian's packages ({HERE / recipe})")
    subprocess.run(
        ["docker", "build", "-q", "--build-arg", f"BASE={DEBIAN}", "-t", name, str(HERE / recipe)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def resolve(compose_file):
    """{"PYTHON_IMAGE": image, ...}: the official images where they can be had, local
    stand-ins for the others."""
    chosen = {}
    for variable, official in defaults(compose_file).items():
        if have(official) or pull(official):
            log(f"{variable}={official} (official)")
            chosen[variable] = official
            continue
        recipe, name = LOCAL[variable]
        build_debian()
        build_local(recipe, name)
        log(f"{variable}={name}: a stand-in for {official} built from Debian's packages")
        chosen[variable] = name
    return chosen


if __name__ == "__main__":
    for variable, image in resolve(sys.argv[1]).items():
        print(f"{variable}={image}")
