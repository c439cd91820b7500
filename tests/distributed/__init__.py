"""The batch recipes on local Ray and Dask clusters (`make test-distributed`)."""
