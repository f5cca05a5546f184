"""Everything is declared in setup.cfg except one mapping setup.cfg cannot say: the config tree lives at the
top of the checkout (`conf/`, where users of Hydra projects look for it) and ships in the wheel as the package
data `numina_exp/conf`, so `python -m numina_exp` runs from any directory after a normal install
(numina_exp/core/paths.py finds either copy)."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["numina_exp*"]) + ["numina_exp.conf"],
    package_dir={"numina_exp.conf": "conf"},
    # its package data is in setup.cfg with the rest: a package_data argument here replaces setup.cfg's whole table
)
