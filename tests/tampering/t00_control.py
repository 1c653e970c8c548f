"""The control: the reference submission, handed in by a student in the same class as every attack.

It must keep full marks however the attacks go: no attack may change another student's grades.
"""
LOSES = {"01_vectorization": [], "02_kernel_fusion": []}
