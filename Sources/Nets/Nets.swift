import HDF5
