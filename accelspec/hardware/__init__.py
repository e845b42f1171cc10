"""Hardware: what a chip or a system is, as published, and how chips compare.

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.chip`              :class:`~accelspec.Chip` and its parts (memory, compute per precision,
                          interconnect, power), every number a sourced :class:`~accelspec.Spec`
:mod:`.catalog`           the chip catalog: shipped and user spec files, lookup by id or alias
                          (:func:`~accelspec.get_chip`, :func:`~accelspec.chips`), its cache
:mod:`.system`            boards, racks, pods and supernodes as sourced aggregates of one chip
                          (:func:`~accelspec.get_system`, :func:`~accelspec.resolve_hardware`)
:mod:`.comparison`        side-by-side tables and ratios with sources (:func:`~accelspec.compare`)
:mod:`.prices`            dated chip-hour and list prices; a chip's share of its system's power
========================  ==========================================================================

Imports only the base layer (:mod:`accelspec.units`, :mod:`accelspec.provenance`, ...); nothing
here knows about models or performance.
"""
