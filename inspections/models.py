"""Models of this app: rounds, inspections and answers, evidence, findings, rectification ([inspections]) and sampling ([sampling])."""
