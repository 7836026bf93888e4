# The desktop app (included by the top CMakeLists.txt when NNLAB_APP is ON):
# Debian's libimgui (core + glfw and opengl3 backends in one libimgui.a), GLFW,
# stb (PNG screenshots) and the shared ui/ dashboard.
find_package(PkgConfig REQUIRED)
pkg_check_modules(NNLAB_IMGUI_PC REQUIRED IMPORTED_TARGET imgui glfw3)
add_library(nnlab_imgui_host INTERFACE)
# libimgui's opengl3 backend loads GL itself (dlopen); our texture calls use libGL.
target_link_libraries(nnlab_imgui_host INTERFACE PkgConfig::NNLAB_IMGUI_PC stb dl GL)
target_include_directories(nnlab_imgui_host SYSTEM INTERFACE /usr/include/imgui/backends)
set(NNLAB_IMGUI nnlab_imgui_host)
include(${CMAKE_SOURCE_DIR}/ui/ui.cmake)

add_executable(nnlab_app ${CMAKE_SOURCE_DIR}/native/app.cpp)
target_link_libraries(nnlab_app PRIVATE nnlab_ui nnlab_gl)
