"""Date formats of the project (FORMAT_MODULE_PATH), over Django's own for Vietnamese.

Only what Django's Vietnamese module leaves out: the input formats. A phone's date picker sends ISO;
a date typed by hand is day first, as written in Vietnam (25/12/2024, 25-12-2024, 25.12.2024).
Without this, Django falls back to its global default, which reads 05/03/2025 as 3 May.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
