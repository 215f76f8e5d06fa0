<#
.SYNOPSIS
  VIVIM: one-command install for Windows, run from a checkout.

.DESCRIPTION
  Finds Python >= 3.11, creates (or reuses and upgrades) an isolated virtual environment,
  installs this checkout into it, registers the native-messaging host with your browsers
  (`vivim install`: manifest files in the data folder plus HKCU registry keys), checks everything
  (`vivim doctor`) and tells you how to load the extension. Re-running it upgrades in place.

    powershell -ExecutionPolicy Bypass -File installer\install.ps1 [vivim install options, e.g. --browser edge]

  Environment: VIVIM_VENV (default %LOCALAPPDATA%\vivim\venv), VIVIM_PYTHON (the python.exe to use),
  VIVIM_VENV_ARGS and VIVIM_PIP_ARGS (extra `python -m venv` / `pip install` arguments), VIVIM_HOME.
#>
param([Parameter(ValueFromRemainingArguments = $true)][string[]] $VivimArgs = @())

$ErrorActionPreference = 'Stop'
$MinMajor = 3
$MinMinor = 11
$Repo = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$Venv = if ($env:VIVIM_VENV) { $env:VIVIM_VENV } else { Join-Path $env:LOCALAPPDATA 'vivim\venv' }
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$Vivim = Join-Path $Venv 'Scripts\vivim.exe'

function Step([string] $Text) { Write-Host ''; Write-Host "==> $Text" }
function Fail([string] $Text) { [Console]::Error.WriteLine("error: $Text"); exit 1 }
function Split-Args([string] $Text) { if ($Text) { @($Text -split '\s+' | Where-Object { $_ }) } else { @() } }

# Returns the interpreter's absolute path if `Exe Args` is Python >= 3.11, else $null.
function Resolve-Python([string] $Exe, [string[]] $PreArgs) {
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $check = "import sys; print(sys.executable if sys.version_info >= ($MinMajor, $MinMinor) else '')"
        $out = & $Exe @PreArgs -c $check 2>$null
        if ($LASTEXITCODE -eq 0 -and $out) { return ($out | Select-Object -Last 1).Trim() }
    } catch {
    } finally {
        $ErrorActionPreference = $previous
    }
    return $null
}

function Find-Python {
    if ($env:VIVIM_PYTHON) {
        $found = Resolve-Python $env:VIVIM_PYTHON @()
        if (-not $found) { Fail "VIVIM_PYTHON=$($env:VIVIM_PYTHON) is not Python >= $MinMajor.$MinMinor" }
        return $found
    }
    $candidates = @(
        @{ Exe = 'py'; Args = @('-3.14') }, @{ Exe = 'py'; Args = @('-3.13') },
        @{ Exe = 'py'; Args = @('-3.12') }, @{ Exe = 'py'; Args = @('-3.11') },
        @{ Exe = 'python'; Args = @() }, @{ Exe = 'python3'; Args = @() }
    )
    foreach ($c in $candidates) {
        if (Get-Command $c.Exe -ErrorAction SilentlyContinue) {
            $found = Resolve-Python $c.Exe $c.Args
            if ($found) { return $found }
        }
    }
    Fail ("no Python >= $MinMajor.$MinMinor found; install it (e.g. ``winget install Python.Python.3.12`` " +
          "or the installer from python.org), or set VIVIM_PYTHON to its python.exe")
}

if (-not (Test-Path (Join-Path $Repo 'pyproject.toml')) -or -not (Test-Path (Join-Path $Repo 'host\vivim'))) {
    Fail "run this from a VIVIM checkout ($Repo has no pyproject.toml)"
}

Step 'Python'
$Python = Find-Python
Write-Host "using $Python"

Step "Virtual environment: $Venv"
if ((Test-Path $VenvPython) -and (Resolve-Python $VenvPython @())) {
    Write-Host 'reusing it (upgrading in place)'
} else {
    if (Test-Path $Venv) {
        # Only ever delete something that is a virtual environment (e.g. one whose Python was removed).
        if (-not (Test-Path (Join-Path $Venv 'pyvenv.cfg'))) {
            Fail "$Venv exists and is not a virtual environment; move it away or set VIVIM_VENV"
        }
        Write-Host 'its Python no longer works; recreating it'
        Remove-Item -Recurse -Force $Venv
    }
    $venvArgs = Split-Args $env:VIVIM_VENV_ARGS
    & $Python -m venv @venvArgs $Venv
    if ($LASTEXITCODE -ne 0) { Fail 'could not create the virtual environment (see above)' }
}

Step "Installing VIVIM from $Repo"
# setuptools builds in $Repo\build and never prunes it; it is a build artifact, so start clean.
$buildDir = Join-Path $Repo 'build'
if (Test-Path $buildDir) { Remove-Item -Recurse -Force $buildDir }
$pipArgs = Split-Args $env:VIVIM_PIP_ARGS
# pip's progress lines go to a log, not between the steps; its errors still show here.
$pipLog = Join-Path $Venv 'pip-install.log'
Write-Host "(pip's full output: $pipLog)"
& $VenvPython -m pip install --quiet --log $pipLog --disable-pip-version-check --upgrade @pipArgs $Repo
if ($LASTEXITCODE -ne 0) { Fail "pip could not install VIVIM (above, and in full in $pipLog)" }

Step 'Registering the native-messaging host'
# `vivim install` records this folder in its receipt: `vivim extension path|build` find it later.
$env:VIVIM_EXTENSION_DIR = Join-Path $Repo 'extension'
& $Vivim install @VivimArgs
if ($LASTEXITCODE -ne 0) { Fail '`vivim install` did not register any browser (see above); fix that and run this script again' }

Step 'Checking the installation'
& $Vivim doctor
$doctorOk = ($LASTEXITCODE -eq 0)

Step 'Load the extension'
Write-Host @"
Chrome, Chromium, Brave, Edge, Vivaldi:
  1. open chrome://extensions (edge://extensions, brave://extensions, vivaldi:extensions)
  2. switch on "Developer mode"
  3. click "Load unpacked" and choose: $Repo\extension
Firefox:
  1. open about:debugging#/runtime/this-firefox
  2. click "Load Temporary Add-on..." and choose: $Repo\extension\manifest.json

The vivim command is $Vivim (add $(Join-Path $Venv 'Scripts') to your PATH to type just ``vivim``).
Remove the browser registration with: $Vivim uninstall
"@

if (-not $doctorOk) {
    Write-Host ''
    Fail '`vivim doctor` found problems (listed above with their fixes)'
}
Write-Host ''
Write-Host 'VIVIM is installed.'
