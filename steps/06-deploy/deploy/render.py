"""Write a config file with its ${NAME} placeholders filled in from the environment.

    python deploy/render.py deploy/nginx.conf /run/backchat/nginx.conf

Only ${UPPERCASE} names are placeholders: nginx's own variables ($host, $http_upgrade)
are left alone. The official nginx image fills the same placeholders with envsubst,
so one file serves both. A placeholder whose variable is not set is an error.
"""

import os
import re
import sys


def render(text, env):
    missing = sorted(set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text)) - set(env))
    if missing:
        sys.exit(f"Set these environment variables first: {', '.join(missing)}")
    return re.sub(r"\$\{([A-Z][A-Z0-9_]*)\}", lambda match: env[match[1]], text)


if __name__ == "__main__":
    source, target = sys.argv[1:]
    with open(source, encoding="utf-8") as template, open(target, "w", encoding="utf-8") as out:
        out.write(render(template.read(), os.environ))
