# One ctest per line of bad_input_cases.txt (the issue: "every bad-input case is a test that
# asserts the exit status and the message").
file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/cli/bad_input_cases.txt _lines REGEX "^[a-z_0-9]+ \\| ")
foreach(_line IN LISTS _lines)
  string(REGEX MATCH "^[a-z_0-9]+" _name "${_line}")
  add_test(NAME bad_input.${_name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_failure.py
                   --cases ${CMAKE_CURRENT_SOURCE_DIR}/cli/bad_input_cases.txt --case ${_name}
                   --radiotwin $<TARGET_FILE:radiotwin> --mpiexec ${MPIEXEC_EXECUTABLE}
                   --work ${_work})
  set_tests_properties(bad_input.${_name} PROPERTIES ENVIRONMENT "${_mpi_env}" LABELS bad_input)
endforeach()
