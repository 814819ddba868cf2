"""Packaging glue: each top-level code folder installs as ``kavosh.<folder>`` (``store/`` -> ``kavosh.store``).

Everything else (metadata, dependencies, extras, the ``kavosh`` command) is in pyproject.toml. ``kavosh`` itself is an
implicit namespace package: there is no ``kavosh/`` folder, so the repository keeps its top-level folders while the
installed code never adds generic names (``store``, ``ui``) to site-packages. Packages are found, not listed: a layer is
any top-level folder with an ``__init__.py`` (tests and bench excluded), sub-packages are found inside it.
"""

from setuptools import find_packages, setup

NAMESPACE = "kavosh"
NOT_INSTALLED = ["tests", "tests.*", "bench", "bench.*", "build", "build.*"]

layers = [name for name in find_packages(".", exclude=NOT_INSTALLED) if "." not in name]
packages = [f"{NAMESPACE}.{name}" for name in find_packages(".", exclude=NOT_INSTALLED)]
setup(packages=packages, package_dir={f"{NAMESPACE}.{layer}": layer for layer in layers})
