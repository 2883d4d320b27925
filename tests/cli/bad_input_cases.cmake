# One ctest per line of bad_input_cases.txt (the issue: "every bad-input case is a test that
# asserts the exit status and the message"). Only the names pass through CMake: the patterns
# hold brackets, which CMake's list splitting would not survive.
set(_case_file ${CMAKE_CURRENT_SOURCE_DIR}/cli/bad_input_cases.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_case_file})
file(READ ${_case_file} _text)
string(REGEX MATCHALL "\n[a-z_0-9]+ \\|" _heads "\n${_text}")
foreach(_head IN LISTS _heads)
  string(REGEX MATCH "[a-z_0-9]+" _name "${_head}")
  add_test(NAME bad_input.${_name}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_failure.py
                   --cases ${_case_file} --case ${_name}
                   --radiotwin $<TARGET_FILE:radiotwin> --mpiexec ${MPIEXEC_EXECUTABLE}
                   --work ${_work})
  set_tests_properties(bad_input.${_name} PROPERTIES ENVIRONMENT "${_mpi_env}" LABELS bad_input)
endforeach()
list(LENGTH _heads _n_cases)
if(_n_cases LESS 20)
  message(FATAL_ERROR "tests/cli/bad_input_cases.txt: found only ${_n_cases} cases")
endif()
