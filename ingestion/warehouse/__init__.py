"""Where the raw layer lives (a dlt destination) and the questions asked of the raw tables. It sits
below collect/ and load/: planning and de-duplication ask it before anything is fetched."""
