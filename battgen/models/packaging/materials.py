"""The materials the mass model builds with: BatPaC 5.0's named densities and copper's constants
('Lists' rows 21–30), and the moduli that size an enclosure of another material.

Every part module weighs its metal with these, so they live in one place."""

# --- materials (BatPaC 5.0 'Lists' rows 21–30, g/cm³ → kg/m³) ----------------------------------
RHO_AL = 2700.0
RHO_CU = 8960.0
RHO_STEEL = 7800.0
CU_CONDUCTIVITY = 5.96e7  # S/m, BatPaC 'Lists' row 28
CU_SPECIFIC_HEAT = 385.48  # J/(kg·K), BatPaC _Cp_Cu 0.38548 J/(g·K)
AL_MODULUS = 68.9e9  # Pa, 6061-T6 (Aluminum Association typical; stdlib materials.batt)
STEEL_MODULUS = 200e9  # Pa, low-carbon steel (ASM Handbook Vol. 1; stdlib materials.batt)
