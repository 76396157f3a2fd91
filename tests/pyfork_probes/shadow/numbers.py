"""A local module that shadows the one ``fractions`` and ``decimal`` import."""

import sys
from abc import ABCMeta

print("local numbers imported", file=sys.stderr)


class Number(metaclass=ABCMeta):  # noqa: B024
    pass


class Complex(Number):
    pass


class Real(Complex):
    pass


class Rational(Real):
    pass


class Integral(Rational):
    pass
