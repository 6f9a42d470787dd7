package s3api

import "gatehouse.dev/gatehouse"

// Errors only the S3 layer can produce, with codes and statuses from the
// Amazon S3 API Reference, "Error responses". They are *gatehouse.Error
// values like the shared list, so the one error wrapper renders them.
var (
	errInvalidPartNumber = &gatehouse.Error{
		Kind:    gatehouse.KindInvalid,
		Code:    "InvalidPartNumber",
		Status:  416,
		Message: "The requested partnumber is not satisfiable",
	}
	errIllegalLocationConstraint = &gatehouse.Error{
		Kind:    gatehouse.KindInvalid,
		Code:    "IllegalLocationConstraintException",
		Status:  400,
		Message: "The location constraint is incompatible with the region of this endpoint.",
	}
	errNoSuchVersion = &gatehouse.Error{
		Kind:    gatehouse.KindInvalid,
		Code:    "InvalidArgument",
		Status:  400,
		Message: "Invalid version id specified",
	}
)
