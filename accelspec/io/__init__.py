"""Outputs: the catalog and results in forms other programs and people read.

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.json_out`          JSON Schemas of every ``--json`` output (``accelspec schema``)
:mod:`.export`            the catalog as a flat CSV / JSON table (:func:`~accelspec.catalog_frame`)
:mod:`.catalog_doc`       ``docs/catalog.md``, generated from the catalog
:mod:`.site`              the static catalog page (HTML, CSV and JSON beside it)
========================  ==========================================================================

The top layer beside :mod:`accelspec.plot`: reads everything below, imported by nothing but the CLI.
"""
