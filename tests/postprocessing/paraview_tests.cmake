# The rendering test: the small case on 2 ranks, its standard views rendered headless with
# pvbatch (postprocessing/render_views.py under xvfb-run), and every expected PNG checked not to
# be blank (check_images.py). Included from tests/CMakeLists.txt, which defines _mpi, _mpi_env
# and _work. Skipped (not failed) where pvbatch, xvfb-run or ParaView's Python modules are
# missing; .ci/setup.sh installs them.
find_program(RADIOTWIN_PVBATCH pvbatch)
set(RADIOTWIN_PARAVIEW_PYTHONPATH /opt/paraview-python/usr/lib/python3/dist-packages CACHE PATH
    "ParaView's Python modules, unpacked from python3-paraview (conflicts with python3-vtk9)")
# check_images.py needs Pillow and numpy: Debian's python3 has them, a pyenv one may not.
if(EXISTS /usr/bin/python3)
  set(_render_python /usr/bin/python3)
else()
  set(_render_python ${Python3_EXECUTABLE})
endif()

add_test(NAME paraview_render_views
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/render_views_test.sh
                 ${CMAKE_SOURCE_DIR} ${_work} $<TARGET_FILE:radiotwin> ${RADIOTWIN_PVBATCH}
                 ${RADIOTWIN_PARAVIEW_PYTHONPATH} ${_render_python} ${_mpi}
         WORKING_DIRECTORY ${_work})
set_tests_properties(paraview_render_views PROPERTIES ENVIRONMENT "${_mpi_env}"
                     LABELS postprocessing PROCESSORS 2 TIMEOUT 300 SKIP_RETURN_CODE 77)

# The pictures a run draws itself (Output/Plots): time_activity.png of radiotwin pbrpk.
add_test(NAME run_plots
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run_plots_test.sh
                 $<TARGET_FILE:radiotwin> ${_render_python} ${_work}/run_plots)
set_tests_properties(run_plots PROPERTIES LABELS postprocessing TIMEOUT 120)
