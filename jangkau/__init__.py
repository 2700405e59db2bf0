"""jangkau: who lives beyond the reach of public services, per kecamatan and desa.

The package is a pure library: stage functions take frames and return new
frames. Only the I/O modules (`read`, `publish`, `stages`, `region`, `demo`)
touch disk, and nothing here imports an orchestrator.
"""

__version__ = "0.1.0"
